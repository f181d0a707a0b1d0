// Package cli holds the commands of the `portcullis` command-line tool. Each
// command group lives in its own file; cmd/portcullis only calls Execute.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// NewRootCommand builds the command tree. Output goes to stdout and stderr as
// given, so tests can run commands in process; stdin is the process's.
func NewRootCommand(stdout, stderr io.Writer) *cobra.Command {
	return newRootCommand(newApp(os.Stdin, stdout, stderr))
}

func newRootCommand(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "portcullis",
		Short: "Portcullis: the security gateway's command-line tool",
		Long: `portcullis talks to secretsd: log in (with a second factor), print an access
token for scripts, manage your second factors and API tokens, and, as an
Admin, accounts and signing keys. The session is kept in the config directory
(` + "`$PORTCULLIS_CONFIG_DIR`" + `, else ~/.config/portcullis on Linux) with mode 0600.`,
		// Errors are printed once, by Execute, as one line; usage text would
		// bury the message.
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	a.addGlobalFlags(root)
	root.AddCommand(
		newLoginCommand(a), newLogoutCommand(a), newWhoAmICommand(a), newTokenCommand(a), newStepUpCommand(a),
		newMFACommand(a), newTokensCommand(a), newUsersCommand(a), newRevokeCommand(a), newKeysCommand(a),
		newAuditCommand(a), newDevCommand(),
	)
	return root
}

// Execute runs the command line args and returns the process exit code: 0 on
// success, 1 after printing a one-line error to stderr. Passwords and codes
// are read from the process's stdin.
func Execute(args []string, stdout, stderr io.Writer) int {
	return ExecuteWithInput(args, os.Stdin, stdout, stderr)
}

// ExecuteWithInput is Execute with stdin given: passwords (--password-stdin)
// and second-factor codes are read from it, one per line, when it is not a
// terminal.
func ExecuteWithInput(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(newApp(stdin, stdout, stderr))
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintf(stderr, "portcullis: %v\n", oneLine(err.Error()))
		return 1
	}
	return 0
}
