package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
)

func newStepUpCommand(a *app) *cobra.Command {
	var codes codeFlags
	cmd := &cobra.Command{
		Use:   "step-up",
		Short: "Prove a second factor again, for routes that ask for a recent one",
		Long: `Verify a second factor for the current session and replace the access token
with one whose auth_time and amr are fresh: what the gateway's mfa_stepup asks
for on sensitive routes. The code is asked, or given with --code/--backup-code.
The session's refresh token stays; a later refresh gives an ordinary token again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, s, err := a.clientSession(cmd)
			if err != nil {
				return err
			}
			ch, err := c.StepUp(ctx)
			if err != nil {
				return fmt.Errorf("step-up: %w", err)
			}
			p, err := a.proof(ch, codes)
			if err != nil {
				return fmt.Errorf("step-up: %w", err)
			}
			t, err := c.StepUpVerify(ctx, ch.MFAToken, p)
			if err != nil {
				return fmt.Errorf("step-up: %w", err)
			}
			if err := a.updateSession(s.SessionID, t); err != nil {
				return err
			}
			me, err := c.WithBearer(t.AccessToken).WhoAmI(ctx)
			if err != nil {
				return err
			}
			return a.print(me, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Stepped up: authenticated at %s with %s; the token expires at %s.\n",
					output.Time(me.AuthTime), output.Cell(output.List(me.AMR)), output.Time(me.ExpiresAt))
				return err
			})
		},
	}
	codes.add(cmd)
	return cmd
}
