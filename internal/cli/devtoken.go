package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/devtoken"
)

func newDevTokenCommand() *cobra.Command {
	var (
		dir        string
		c          devtoken.Claims
		authAge    time.Duration
		acr        string
		breakGlass bool
	)
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print an RFC 9068 access token signed with the development key",
		Long: `Print an access token (JWT with typ "at+jwt", RFC 9068) signed with the key
that ` + "`portcullis dev keys`" + ` created, for the walk-through and benchmarks.
--auth-age backdates auth_time, to show MFA step-up (RFC 9470 max_age).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			signer, err := loadDevSigner(dir)
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("no development key in %s: run `portcullis dev keys --dir %s` first", dir, dir)
			}
			if err != nil {
				return err
			}
			if c.TTL <= 0 {
				return fmt.Errorf("--ttl must be positive, got %s", c.TTL)
			}
			if authAge < 0 {
				return fmt.Errorf("--auth-age must not be negative, got %s", authAge)
			}
			now := time.Now()
			c.AuthTime = now.Add(-authAge)
			c.ACR = acr
			c.BreakGlass = breakGlass
			c.Groups = nonEmpty(c.Groups)
			c.AMR = nonEmpty(c.AMR)
			tok, err := signer.Mint(c, now)
			if err != nil {
				return fmt.Errorf("signing the token: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", ".run", "directory holding the development key")
	f.StringVar(&c.Subject, "sub", "alice", "subject (user id)")
	f.StringVar(&c.Role, "role", "Developer", "role: Admin, Developer, Operator, Viewer or Auditor")
	f.StringVar(&c.Team, "team", "platform", "team")
	f.StringSliceVar(&c.Groups, "groups", nil, "groups, comma-separated")
	f.StringSliceVar(&c.AMR, "amr", []string{"pwd"}, "authentication methods (amr, RFC 8176), comma-separated, e.g. pwd,otp")
	f.StringVar(&acr, "acr", "", "authentication context class (acr), if any")
	f.DurationVar(&c.TTL, "ttl", 15*time.Minute, "lifetime of the token")
	f.DurationVar(&authAge, "auth-age", 0, "how long ago the user authenticated (sets auth_time)")
	f.BoolVar(&breakGlass, "break-glass", false, "mark the token as a break-glass emergency token")
	f.StringVar(&c.Issuer, "issuer", devtoken.DefaultIssuer, "issuer (iss)")
	f.StringSliceVar(&c.Audience, "audience", []string{devtoken.DefaultAudience}, "audience (aud), comma-separated")
	return cmd
}

func nonEmpty(in []string) []string {
	out := in[:0]
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
