package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/audit/index"
)

func newAuditIndexCommand(configPath *string, e env) *cobra.Command {
	return &cobra.Command{
		Use:   "rebuild-audit-index",
		Short: "Rebuild the audit index from the trail's files",
		Long: `Empty the audit index ([audit] index) and index every chain under [audit] dir
again from the start. The chain files are the source of truth; the index is
a copy that serves queries. The daemon may be running: it sees the rebuilt
index at its next query.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig(*configPath, e)
			if err != nil {
				return err
			}
			ix, err := index.Open(cmd.Context(), index.Options{Path: cfg.Audit.Index, Root: cfg.Audit.Dir})
			if err != nil {
				return fmt.Errorf("opening the audit index: %w", err)
			}
			defer ix.Close()
			if err := ix.Rebuild(cmd.Context()); err != nil {
				return fmt.Errorf("rebuilding the audit index: %w", err)
			}
			_, err = fmt.Fprintf(e.stdout, "rebuilt the audit index %s from %s\n", cfg.Audit.Index, cfg.Audit.Dir)
			return err
		},
	}
}
