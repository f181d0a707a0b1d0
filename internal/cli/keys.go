package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/secretsd/client"
)

func newKeysCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "secretsd's token signing keys (Admin)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "rotate",
		Short: "Sign new tokens with a new key now; the old key stays published until its tokens expire",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return query(a, cmd, (*client.Client).RotateKeys, func(kid string) error {
				return a.print(map[string]string{"kid": kid}, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "Signing with new key %s.\n", output.Cell(kid))
					return err
				})
			})
		},
	})
	return cmd
}
