package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/portcullis/portcullis/secretsd/config"
	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/server"
)

func newBootstrapCommand(configPath *string, e env) *cobra.Command {
	var username string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "bootstrap --username NAME [--password-stdin]",
		Short: "Create the first Admin directly in the configured store",
		Long: `Create the first Admin account directly in the store of the configuration
(the same --config and SECRETSD_* variables as serve; the daemon may be
running). It refuses when any user exists. The password is read from the
terminal without echo, or with --password-stdin from the first line of
standard input. Admins must enrol a second factor: log in, then
"portcullis mfa totp enroll".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if username == "" {
				return errors.New("bootstrap: --username is required")
			}
			password, err := readPassword(e, fromStdin)
			if err != nil {
				return err
			}
			cfg, log, err := loadConfig(*configPath, e)
			if err != nil {
				return err
			}
			// Its own audit chains: the daemon may be appending to its own.
			svc, err := server.OpenServices(cmd.Context(), cfg, log, server.WithAuditWriter(config.WriterName(cfg.Audit.Writer+"-bootstrap")))
			if err != nil {
				return err
			}
			defer svc.Close()
			u, err := svc.Identity.Bootstrap(cmd.Context(), username, password)
			if errors.Is(err, identity.ErrAlreadyBootstrapped) {
				return errors.New("bootstrap: users exist already; an Admin creates the others (POST /v1/users, portcullis users create)")
			}
			if err != nil {
				return fmt.Errorf("bootstrap: %w", err)
			}
			_, err = fmt.Fprintf(e.stdout, "created Admin %q (id %s); log in and enrol a second factor\n", u.Username, u.ID)
			return err
		},
	}
	cmd.Flags().StringVar(&username, "username", "", "name of the first Admin (required)")
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

// maxPasswordInput bounds what is read of standard input for a password.
const maxPasswordInput = 4096

// readPassword takes the password from standard input's first line, or
// prompts for it twice without echo when standard input is a terminal.
func readPassword(e env, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(io.LimitReader(e.stdin, maxPasswordInput)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("bootstrap: reading the password from standard input: %w", err)
		}
		password := strings.TrimRight(line, "\r\n")
		if password == "" {
			return "", errors.New("bootstrap: standard input held no password")
		}
		return password, nil
	}
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("bootstrap: standard input is not a terminal; give the password with --password-stdin")
	}
	prompt := func(label string) (string, error) {
		fmt.Fprint(e.stderr, label)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		return string(b), err
	}
	first, err := prompt("Password for the first Admin: ")
	if err != nil {
		return "", fmt.Errorf("bootstrap: reading the password: %w", err)
	}
	again, err := prompt("Repeat it: ")
	if err != nil {
		return "", fmt.Errorf("bootstrap: reading the password: %w", err)
	}
	if first != again {
		return "", errors.New("bootstrap: the passwords differ")
	}
	if first == "" {
		return "", errors.New("bootstrap: empty password")
	}
	return first, nil
}
