package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/secretsd/client"
)

// errTrailDamaged makes `audit verify` exit 1 after printing its report.
var errTrailDamaged = errors.New("the audit trail is damaged")

func newAuditVerifyCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Verify the hash chains and signed checkpoints of the whole trail",
		Long: `Verify every chain of every writer (gateway instances, secretsd): each
record's hash, the links between records, and the Ed25519-signed
checkpoints. A damaged chain is reported with the sequence number of the
first record changed, removed, reordered or truncated, and the command
exits 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return query(a, cmd, (*client.Client).AuditVerify, func(v client.AuditVerification) error {
				err := a.print(v, func(w io.Writer) error {
					rows := make([][]string, 0, len(v.Chains))
					for _, c := range v.Chains {
						status := "intact"
						if c.Problem != nil {
							status = fmt.Sprintf("%s at seq %d", c.Problem.Kind, c.Problem.Seq)
						}
						rows = append(rows, []string{c.Writer, c.Class, strconv.FormatUint(c.Records, 10), strconv.FormatUint(c.LastSeq, 10),
							strconv.Itoa(c.Checkpoints), strconv.FormatUint(c.Unsealed, 10), status})
					}
					if err := output.Table(w, []string{"WRITER", "CLASS", "RECORDS", "LAST SEQ", "CHECKPOINTS", "UNSEALED", "STATUS"}, rows); err != nil {
						return err
					}
					if v.Intact {
						_, err := fmt.Fprintln(w, "The audit trail is intact.")
						return err
					}
					return nil
				})
				if err != nil {
					return err
				}
				if !v.Intact {
					return damage(v)
				}
				return nil
			})
		},
	}
}

// damage names the first problem of each damaged chain.
func damage(v client.AuditVerification) error {
	var parts []string
	for _, c := range v.Chains {
		if p := c.Problem; p != nil {
			where := ""
			if p.File != "" {
				where = fmt.Sprintf(" (%s:%d)", p.File, p.Line)
			}
			parts = append(parts, fmt.Sprintf("%s/%s: %s at seq %d%s", c.Writer, c.Class, p.Kind, p.Seq, where))
		}
	}
	return fmt.Errorf("%w: %s", errTrailDamaged, strings.Join(parts, "; "))
}

func newAuditHashCommand(a *app) *cobra.Command {
	var field string
	cmd := &cobra.Command{
		Use:   "hash --field FIELD VALUE",
		Short: "Print the pseudonyms a known value has in the trail (to search for one person)",
		Long: `Print the pseudonyms VALUE has as FIELD (user.id, user.name, user.email,
source.ip, source.address) under every pseudonymisation key, active key
first, like Vault's sys/audit-hash. Search with them:
portcullis audit query --actor PSEUDONYM. The value is not audited.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client(cmd)
			if err != nil {
				return err
			}
			hs, err := c.AuditHash(cmd.Context(), field, args[0])
			if err != nil {
				return err
			}
			return a.print(map[string]any{"field": field, "pseudonyms": hs}, func(w io.Writer) error {
				for _, h := range hs {
					if _, err := fmt.Fprintln(w, output.Cell(h)); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&field, "field", "user.id", "user.id, user.name, user.email, source.ip or source.address")
	return cmd
}
