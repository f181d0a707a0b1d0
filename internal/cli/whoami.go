package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/secretsd/client"
)

func newWhoAmICommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who the session is logged in as, and how",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return query(a, cmd, (*client.Client).WhoAmI, func(me client.WhoAmI) error {
				return a.print(me, func(w io.Writer) error { return whoAmITable(w, me) })
			})
		},
	}
}

func whoAmITable(w io.Writer, me client.WhoAmI) error {
	fields := userFields(me.User)
	fields = append(fields,
		output.Field{Key: "SESSION", Value: me.SessionID},
		output.Field{Key: "TOKEN ID", Value: me.TokenID},
		output.Field{Key: "AUTH TIME", Value: output.Time(me.AuthTime)},
		output.Field{Key: "AMR", Value: output.List(me.AMR)},
		output.Field{Key: "EXPIRES", Value: output.Time(me.ExpiresAt)},
	)
	if me.APIToken {
		fields = append(fields, output.Field{Key: "API TOKEN", Value: "yes"}, output.Field{Key: "SCOPES", Value: output.List(me.Scopes)})
	}
	return output.KeyValues(w, fields)
}
