package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/secretsd/client"
)

func newAuditHoldsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "holds",
		Short: "List, place and release legal holds (retention deletes nothing they cover)",
	}
	var reason, from, to string
	place := &cobra.Command{
		Use:   "place --reason TEXT [--from T] [--to T]",
		Short: "Place a legal hold over a period (unbounded by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client(cmd)
			if err != nil {
				return err
			}
			now := time.Now()
			f, err := parseWhen("--from", from, now)
			if err != nil {
				return err
			}
			t, err := parseWhen("--to", to, now)
			if err != nil {
				return err
			}
			h, err := c.PlaceLegalHold(cmd.Context(), reason, f, t)
			if err != nil {
				return err
			}
			return a.print(map[string]any{"hold": h}, func(w io.Writer) error { return output.Table(w, holdHeader, holdRows([]client.LegalHold{h})) })
		},
	}
	place.Flags().StringVar(&reason, "reason", "", "why (e.g. the case reference); required")
	place.Flags().StringVar(&from, "from", "", "start of the held period (RFC 3339, date, or duration ago)")
	place.Flags().StringVar(&to, "to", "", "end of the held period")
	_ = place.MarkFlagRequired("reason")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the legal holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return query(a, cmd, (*client.Client).LegalHolds, func(hs []client.LegalHold) error {
				return a.print(map[string]any{"holds": nonNil(hs)}, func(w io.Writer) error { return output.Table(w, holdHeader, holdRows(hs)) })
			})
		},
	}
	release := &cobra.Command{
		Use:   "release ID",
		Short: "Release a legal hold",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client(cmd)
			if err != nil {
				return err
			}
			if err := c.ReleaseLegalHold(cmd.Context(), args[0]); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdout, "Released legal hold %s.\n", output.Cell(args[0]))
			return err
		},
	}
	cmd.AddCommand(list, place, release)
	return cmd
}

var holdHeader = []string{"ID", "FROM", "TO", "CREATED", "REASON"}

func holdRows(hs []client.LegalHold) [][]string {
	rows := make([][]string, 0, len(hs))
	for _, h := range hs {
		rows = append(rows, []string{h.ID, output.Time(h.From), output.Time(h.To), output.Time(h.CreatedAt), h.Reason})
	}
	return rows
}

func newAuditRetentionCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "Apply retention (Admin)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "run",
		Short: "Delete secretsd's expired audit segments now (legal holds are honoured; each deletion is audited)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return query(a, cmd, (*client.Client).RunRetention, func(res []client.RetentionResult) error {
				return a.print(map[string]any{"chains": nonNil(res)}, func(w io.Writer) error {
					rows := make([][]string, 0, len(res))
					for _, r := range res {
						var records uint64
						for _, s := range r.Deleted {
							records += s.LastSeq - s.FirstSeq + 1
						}
						rows = append(rows, []string{r.Class, strconv.Itoa(len(r.Deleted)), strconv.FormatUint(records, 10), strconv.Itoa(r.Held)})
					}
					return output.Table(w, []string{"CLASS", "DELETED SEGMENTS", "DELETED RECORDS", "HELD SEGMENTS"}, rows)
				})
			})
		},
	})
	return cmd
}

func newAuditEraseCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "erase USER_ID",
		Short: "Erase a user's personal data from the trail by deleting their key (Admin; irreversible)",
		Long: `Crypto-shred a user's personal values in the audit trail (their name and full
addresses, sealed under a key of their own) by deleting that key. Their
pseudonym stays, so the trail still verifies and still counts their actions.
The erasure is itself audited. It cannot be undone.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client(cmd)
			if err != nil {
				return err
			}
			erased, err := c.EraseAuditSubject(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.print(map[string]any{"erased": erased}, func(w io.Writer) error {
				msg := "Erased the personal data of user %s from the audit trail.\n"
				if !erased {
					msg = "User %s had no personal data in the audit trail (nothing to erase).\n"
				}
				_, err := fmt.Fprintf(w, msg, output.Cell(args[0]))
				return err
			})
		},
	}
}
