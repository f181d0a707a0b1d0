package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newTokenCommand(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print the session's access token (refreshed first when it expires within a minute)",
		Long: `Print the session's access token, for scripts:

    curl -H "Authorization: Bearer $(portcullis token)" https://gateway/...

The token is refreshed first when it expires within 60 seconds, or always with
--refresh. Concurrent runs do not refresh twice (the session file is locked).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, s, err := a.loggedIn(cmd.Context(), force)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(a.stdout, s.AccessToken)
			return err
		},
	}
	cmd.Flags().BoolVar(&force, "refresh", false, "refresh the access token even when it is not about to expire")
	return cmd
}
