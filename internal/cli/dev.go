package cli

import "github.com/spf13/cobra"

// newDevCommand is the `dev` group: development keys and tokens, for the
// walk-through and benchmarks until secretsd issues real ones. Nothing here
// belongs in production.
func newDevCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Development helpers: a local signing key and tokens signed with it",
	}
	cmd.AddCommand(newDevKeysCommand(), newDevTokenCommand())
	return cmd
}

// File names inside the --dir of the dev commands.
const (
	DevKeyFile  = "dev-signing-key.json"
	DevJWKSFile = "jwks.json"
)
