// Command secretsd is the Portcullis control plane: identities, tokens,
// second factors and the JWKS the gateway verifies against. The commands are
// wiring only; the daemon is secretsd/server, its configuration
// secretsd/config.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/secretsd/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ()})
	stop()
	os.Exit(code)
}

// env is the process's surroundings, passed explicitly so that tests can
// run the commands in process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	environ        []string
}

// run executes the command line and returns the exit code: 0, or 1 after a
// one-line error on stderr.
func run(ctx context.Context, args []string, e env) int {
	root := newRootCommand(e)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(e.stderr, "secretsd: %v\n", err)
		return 1
	}
	return 0
}

func newRootCommand(e env) *cobra.Command {
	var configPath string
	root := &cobra.Command{
		Use:   "secretsd [--config FILE]",
		Short: "secretsd: Portcullis's control plane (identities, tokens, MFA, JWKS)",
		Long: `secretsd issues the identities and tokens the Portcullis gateway checks:
users and roles, login with a second factor (TOTP, WebAuthn, backup codes),
access and refresh tokens, revocation, API tokens, and the JWKS at
/.well-known/jwks.json. Without a subcommand it serves (secretsd serve).

First start: run "secretsd bootstrap --username NAME" once to create the
first Admin, then "secretsd".

` + config.Help(),
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), configPath, e)
		},
	}
	root.PersistentFlags().StringVar(&configPath, "config", "", "TOML configuration file (default $"+config.ConfigEnv+", else none: defaults and environment)")
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.AddCommand(
		newServeCommand(&configPath, e),
		newBootstrapCommand(&configPath, e),
		newAuditIndexCommand(&configPath, e),
		newVersionCommand(e),
	)
	return root
}
