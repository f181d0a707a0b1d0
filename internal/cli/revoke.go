package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/secretsd/client"
)

func newRevokeCommand(a *app) *cobra.Command {
	var r client.Revocation
	cmd := &cobra.Command{
		Use:   "revoke (--token-id ID | --session-id ID | --user-id ID)",
		Short: "Revoke an access token, a session, or every token of a user",
		Long: `Revoke an access token (by its jti), a session (its refresh token and every
access token issued in it), or all tokens and sessions of a user. Your own,
or anyone's for an Admin. Gateways refuse revoked tokens within a second.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, s, err := a.loggedIn(cmd.Context(), false)
			if err != nil {
				return err
			}
			if err := c.Revoke(cmd.Context(), r); err != nil {
				return err
			}
			what := "token " + r.TokenID
			switch {
			case r.SessionID != "":
				what = "session " + r.SessionID
			case r.UserID != "":
				what = "every token of user " + r.UserID
			}
			fmt.Fprintf(a.stdout, "Revoked %s.\n", output.Cell(what))
			if r.SessionID != "" && r.SessionID == s.SessionID {
				if st, err := a.store(); err == nil && st.Remove() == nil {
					a.note("That was this session: you are logged out.")
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&r.TokenID, "token-id", "", "the jti of an access token")
	f.StringVar(&r.SessionID, "session-id", "", "a session id")
	f.StringVar(&r.UserID, "user-id", "", "a user id")
	cmd.MarkFlagsMutuallyExclusive("token-id", "session-id", "user-id")
	cmd.MarkFlagsOneRequired("token-id", "session-id", "user-id")
	return cmd
}
