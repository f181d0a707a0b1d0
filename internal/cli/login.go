package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/internal/cli/session"
	"github.com/portcullis/portcullis/secretsd/client"
)

func newLoginCommand(a *app) *cobra.Command {
	var (
		username      string
		passwordStdin bool
		codes         codeFlags
	)
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to secretsd (with a second factor when the account has one)",
		Long: `Log in to secretsd and keep the session in the config directory (mode 0600).

The password is asked without echo, or read from the first line of stdin with
--password-stdin. When the account has a second factor, the TOTP code or a
backup code is asked next (the kind is told by its shape: 6 to 8 digits is a
TOTP code), read from the next line of stdin when stdin is not a terminal, or
given with --code / --backup-code. WebAuthn security keys need a browser and
cannot be used from the CLI.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if _, err := a.outputFormat(); err != nil {
				return err
			}
			st, err := a.store()
			if err != nil {
				return err
			}
			// The previous session's server and username are the defaults.
			prev, err := st.Load()
			if err != nil && !errors.Is(err, session.ErrNoSession) {
				prev = session.Session{} // an unreadable old session is replaced
			}
			c, err := a.anonymous(prev.Server)
			if err != nil {
				return err
			}
			if username == "" && a.explicitServer() == "" {
				username = prev.Username
			}
			if username == "" {
				if username, err = a.readVisible("Username: ", "username"); err != nil {
					return err
				}
				if username = strings.TrimSpace(username); username == "" {
					return errors.New("no username given (--username)")
				}
			}
			password, err := a.password(passwordStdin, "Password for "+username+": ")
			if err != nil {
				return err
			}
			tokens, err := a.login(ctx, c, username, password, codes)
			if err != nil {
				return fmt.Errorf("login: %w", err)
			}
			s := session.Session{Server: c.BaseURL(), Username: username}
			applyTokens(&s, tokens)
			if err := st.Save(s); err != nil {
				return err
			}
			return a.print(loginView{Server: s.Server, Username: username, SessionID: s.SessionID, ExpiresAt: s.ExpiresAt},
				func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "Logged in to %s as %s (session %s).\n", s.Server, output.Cell(username), output.Cell(s.SessionID))
					return err
				})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&username, "username", "u", "", "username (default: the previous session's, else asked)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	codes.add(cmd)
	return cmd
}

// loginView is what `login -o json` prints: never the tokens.
type loginView struct {
	Server    string    `json:"server"`
	Username  string    `json:"username"`
	SessionID string    `json:"session_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// login checks the password and answers the MFA challenge if there is one.
func (a *app) login(ctx context.Context, c *client.Client, username, password string, codes codeFlags) (client.Tokens, error) {
	res, err := c.Login(ctx, username, password)
	if err != nil {
		return client.Tokens{}, err
	}
	if res.Tokens != nil {
		return *res.Tokens, nil
	}
	p, err := a.proof(*res.MFA, codes)
	if err != nil {
		return client.Tokens{}, err
	}
	return c.VerifyMFA(ctx, res.MFA.MFAToken, p)
}

func newLogoutCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "End the session on secretsd and forget it here",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.store()
			if err != nil {
				return err
			}
			c, s, err := a.loggedIn(cmd.Context(), false)
			if err != nil {
				if errors.Is(err, errNotLoggedIn) {
					return errors.New("not logged in")
				}
				if rmErr := st.Remove(); rmErr != nil {
					return rmErr
				}
				if errors.Is(err, errSessionEnded) {
					fmt.Fprintln(a.stdout, "Logged out (the session had already ended).")
					return nil
				}
				return fmt.Errorf("forgot the local session, but could not revoke it on the server: %w", err)
			}
			logoutErr := c.Logout(cmd.Context())
			// Forget the tokens even when the server could not be told: the
			// user asked to be logged out here, and says so below.
			if err := st.Remove(); err != nil {
				return err
			}
			switch {
			case logoutErr == nil:
				fmt.Fprintf(a.stdout, "Logged out of %s.\n", s.Server)
				return nil
			case client.IsCode(logoutErr, client.CodeUnauthorized):
				fmt.Fprintf(a.stdout, "Logged out (the session had already ended on %s).\n", s.Server)
				return nil
			}
			return fmt.Errorf("forgot the local session, but %s could not revoke it: %w", s.Server, logoutErr)
		},
	}
}
