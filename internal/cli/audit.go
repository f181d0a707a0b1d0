package cli

import (
	"github.com/spf13/cobra"
)

func newAuditCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Search, export and verify the audit trail (Auditor, Admin)",
		Long: `Search, export and verify the audit trail that secretsd and the gateway write:
query and export events with filters, verify the hash chains and signed
checkpoints, compute the pseudonym of a known person to search for them,
manage legal holds, run retention, and erase a user's personal data. Every
query, export, verification and hash is itself audited.`,
	}
	cmd.AddCommand(newAuditQueryCommand(a), newAuditExportCommand(a), newAuditVerifyCommand(a), newAuditHashCommand(a),
		newAuditHoldsCommand(a), newAuditRetentionCommand(a), newAuditEraseCommand(a))
	return cmd
}
