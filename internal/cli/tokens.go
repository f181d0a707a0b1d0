package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/secretsd/client"
)

func newTokensCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Your API tokens: long-lived, named, scoped credentials for automation",
	}
	cmd.AddCommand(newTokensCreateCommand(a), newTokensListCommand(a), newTokensRevokeCommand(a))
	return cmd
}

func newTokensCreateCommand(a *app) *cobra.Command {
	var (
		in  client.NewAPIToken
		ttl time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an API token; its value is printed this once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ttl < 0 {
				return fmt.Errorf("--ttl must not be negative, got %s", ttl)
			}
			in.TTL = ttl
			in.Scopes = nonEmpty(in.Scopes)
			c, err := a.client(cmd)
			if err != nil {
				return err
			}
			tok, err := c.CreateAPIToken(cmd.Context(), in)
			if err != nil {
				return err
			}
			a.note("The token is shown only now: store it in your secret manager. Revoke it with `portcullis tokens revoke %s`.", tok.ID)
			return a.print(tok, func(w io.Writer) error {
				if _, err := fmt.Fprintln(w, tok.Token); err != nil {
					return err
				}
				return output.KeyValues(w, apiTokenFields(tok.APIToken))
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "a name saying what the token is for (required)")
	f.StringSliceVar(&in.Scopes, "scopes", nil, "roles or actions the token is limited to, comma-separated (default: your role)")
	f.DurationVar(&ttl, "ttl", 0, "lifetime, e.g. 720h (default: no expiry)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func apiTokenFields(t client.APIToken) []output.Field {
	return []output.Field{
		{Key: "ID", Value: t.ID},
		{Key: "NAME", Value: t.Name},
		{Key: "PREFIX", Value: t.Prefix},
		{Key: "SCOPES", Value: output.List(t.Scopes)},
		{Key: "CREATED", Value: output.Time(t.CreatedAt)},
		{Key: "EXPIRES", Value: output.Time(t.ExpiresAt)},
	}
}

func newTokensListCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List your API tokens (never their values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return query(a, cmd, (*client.Client).ListAPITokens, func(toks []client.APIToken) error {
				return a.print(map[string]any{"tokens": nonNil(toks)}, func(w io.Writer) error {
					rows := make([][]string, 0, len(toks))
					for _, t := range toks {
						rows = append(rows, []string{t.ID, t.Name, t.Prefix, output.List(t.Scopes), output.Time(t.CreatedAt),
							output.Time(t.ExpiresAt), output.Time(t.LastUsedAt), output.Time(t.RevokedAt)})
					}
					return output.Table(w, []string{"ID", "NAME", "PREFIX", "SCOPES", "CREATED", "EXPIRES", "LAST USED", "REVOKED"}, rows)
				})
			})
		},
	}
}

func newTokensRevokeCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke TOKEN-ID",
		Short: "Revoke one of your API tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, _, err := a.loggedIn(cmd.Context(), false)
			if err != nil {
				return err
			}
			if err := c.RevokeAPIToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "Revoked API token %s.\n", output.Cell(args[0]))
			return err
		},
	}
}

// nonNil makes an empty list print as [] in JSON, as the API sends it.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
