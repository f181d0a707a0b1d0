package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/internal/cli/output"
	"github.com/portcullis/portcullis/secretsd/client"
)

// maxAllPages bounds --all: beyond it, export is the tool.
const maxAllPages = 100

func newAuditQueryCommand(a *app) *cobra.Command {
	var (
		flags  auditFilterFlags
		limit  int
		all    bool
		cursor string
	)
	cmd := &cobra.Command{
		Use:   "query [filters]",
		Short: "Search audit events, newest first",
		Long: `Search audit events, newest first, one page at a time (--limit, default 100,
at most 1000); the next page is given by --cursor, or every page with --all.
--user takes a user id and searches for its pseudonyms; --actor a pseudonym.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client(cmd)
			if err != nil {
				return err
			}
			f, err := flags.filter(time.Now())
			if err != nil {
				return err
			}
			var events []client.AuditRecord
			next := cursor
			for pages := 0; ; pages++ {
				if all && pages == maxAllPages {
					return fmt.Errorf("more than %d pages: narrow the filters or use `portcullis audit export`", maxAllPages)
				}
				page, err := c.AuditEvents(cmd.Context(), f, next, limit)
				if err != nil {
					return err
				}
				events = append(events, page.Events...)
				next = page.NextCursor
				if !all || next == "" {
					break
				}
			}
			return a.print(map[string]any{"events": nonNil(events), "next_cursor": next}, func(w io.Writer) error {
				if err := output.Table(w, []string{"TIME", "ACTION", "OUTCOME", "REASON", "STATUS", "USER", "SOURCE", "REQUEST ID", "RESOURCE", "WRITER", "SEQ"}, eventRows(events)); err != nil {
					return err
				}
				if next != "" {
					a.note("More events: add --cursor %s (or --all).", next)
				}
				return nil
			})
		},
	}
	flags.add(cmd.Flags())
	cmd.Flags().IntVar(&limit, "limit", 0, "events per page (default 100, at most 1000)")
	cmd.Flags().BoolVar(&all, "all", false, "follow the pages to the end")
	cmd.Flags().StringVar(&cursor, "cursor", "", "the page after a previous query's cursor")
	return cmd
}

// ecsSummary is what the table shows of an event.
type ecsSummary struct {
	Timestamp time.Time `json:"@timestamp"`
	Event     struct {
		Action  string `json:"action"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	} `json:"event"`
	HTTP *struct {
		Response *struct {
			StatusCode int `json:"status_code"`
		} `json:"response"`
	} `json:"http"`
	User *struct {
		ID string `json:"id"`
	} `json:"user"`
	Source *struct {
		IP string `json:"ip"`
	} `json:"source"`
	URL *struct {
		Path string `json:"path"`
	} `json:"url"`
	Portcullis *struct {
		RequestID string `json:"request_id"`
		Resource  *struct {
			ID string `json:"id"`
		} `json:"resource"`
	} `json:"portcullis"`
}

func eventRows(events []client.AuditRecord) [][]string {
	rows := make([][]string, 0, len(events))
	for _, r := range events {
		var e ecsSummary
		_ = json.Unmarshal(r.Event, &e) // a malformed event shows as dashes
		var user, source, reqID, resource, status string
		if e.HTTP != nil && e.HTTP.Response != nil && e.HTTP.Response.StatusCode != 0 {
			status = strconv.Itoa(e.HTTP.Response.StatusCode)
		}
		if e.User != nil {
			user = e.User.ID
		}
		if e.Source != nil {
			source = e.Source.IP
		}
		if e.URL != nil {
			resource = e.URL.Path
		}
		if p := e.Portcullis; p != nil {
			reqID = p.RequestID
			if p.Resource != nil {
				resource = p.Resource.ID
			}
		}
		rows = append(rows, []string{output.Time(r.Time), e.Event.Action, e.Event.Outcome, e.Event.Reason, status, user, source, reqID, resource,
			r.Writer, strconv.FormatUint(r.Seq, 10)})
	}
	return rows
}

func newAuditExportCommand(a *app) *cobra.Command {
	var (
		flags  auditFilterFlags
		format string
		file   string
	)
	cmd := &cobra.Command{
		Use:   "export --format FORMAT [filters] [-f FILE]",
		Short: "Export audit events: json, jsonl, csv, hec (Splunk) or ecs (Elastic)",
		Long: `Export every matching event, oldest first, in one of five formats: json (an
array), jsonl (one record per line), csv (fixed columns), hec (Splunk HTTP
Event Collector envelopes) or ecs (Elastic Common Schema NDJSON). The export
streams to stdout, or to FILE (0600), which appears only once complete.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format == "" {
				return errors.New("--format is required: json, jsonl, csv, hec or ecs")
			}
			c, err := a.client(cmd)
			if err != nil {
				return err
			}
			f, err := flags.filter(time.Now())
			if err != nil {
				return err
			}
			if file == "" || file == "-" {
				_, err := c.AuditExport(cmd.Context(), f, format, a.stdout)
				return err
			}
			return writeFileAtomic(file, func(w io.Writer) error {
				n, err := c.AuditExport(cmd.Context(), f, format, w)
				if err == nil {
					a.note("Exported %d bytes to %s.", n, file)
				}
				return err
			})
		},
	}
	flags.add(cmd.Flags())
	cmd.Flags().StringVar(&format, "format", "", "json, jsonl, csv, hec or ecs (required)")
	cmd.Flags().StringVarP(&file, "file", "f", "", "write to FILE instead of stdout")
	return cmd
}

// writeFileAtomic writes path through a temporary file in its folder,
// renamed into place only when write succeeded: never a partial export.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
