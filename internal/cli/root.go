// Package cli holds the commands of the `portcullis` command-line tool. Each
// command lives in its own file; cmd/portcullis only calls Execute.
package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// NewRootCommand builds the command tree. Output goes to stdout and stderr as
// given, so tests can run commands in process.
func NewRootCommand(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "portcullis",
		Short: "Portcullis: the security gateway's command-line tool",
		// Errors are printed once, by Execute, as one line; usage text would
		// bury the message.
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newDevCommand())
	return root
}

// Execute runs the command line args and returns the process exit code: 0 on
// success, 1 after printing a one-line error to stderr.
func Execute(args []string, stdout, stderr io.Writer) int {
	root := NewRootCommand(stdout, stderr)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintf(stderr, "portcullis: %v\n", err)
		return 1
	}
	return 0
}
