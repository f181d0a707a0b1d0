package server

import (
	"errors"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/shred"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/auditor"
	"github.com/portcullis/portcullis/secretsd/config"
)

// PseudonymKeyID is the id of the pseudonymisation key read from [audit]
// pseudonym_key. The gateway's audit handler uses the same id and file, so
// one person has one pseudonym in both programs.
const PseudonymKeyID = "k1"

// Audit is secretsd's side of the audit trail: its own chains, the keys
// that pseudonymise and seal personal values, and the Auditor that writes
// identity and API events.
type Audit struct {
	Root          string
	Trail         *trail.Trail
	Pseudonymizer *pseudo.Pseudonymizer
	Subjects      *shred.Keys
	Auditor       *auditor.Auditor
}

// openAudit creates the trail's folders and keys on first start (nothing
// needs to exist beforehand) and opens this writer's chains.
func openAudit(cfg config.Audit, writer string, clk clock.Clock, reg prometheus.Registerer) (_ *Audit, err error) {
	a := &Audit{Root: cfg.Dir}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: creating %s: %w", cfg.Dir, err)
	}
	key, err := pseudo.LoadOrCreateKey(PseudonymKeyID, cfg.PseudonymKey)
	if err != nil {
		return nil, fmt.Errorf("audit: pseudonym key: %w", err)
	}
	fields, err := cfg.FieldModes()
	if err != nil {
		return nil, fmt.Errorf("audit: fields: %w", err)
	}
	periods, err := cfg.RetentionPeriods()
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if a.Pseudonymizer, err = pseudo.New(pseudo.Config{Keys: []pseudo.Key{key}, Fields: fields}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if a.Subjects, err = shred.OpenKeys(cfg.SubjectKeys); err != nil {
		return nil, fmt.Errorf("audit: subject keys: %w", err)
	}
	signer, err := trail.LoadOrCreateSigner(cfg.SigningKeyFile(writer))
	if err != nil {
		return nil, fmt.Errorf("audit: signing key: %w", err)
	}
	a.Trail, err = trail.Open(trail.Config{
		Root:          cfg.Dir,
		Writer:        writer,
		Signer:        signer,
		KeyID:         writer,
		Pseudonymizer: a.Pseudonymizer,
		Keys:          a.Subjects,
		QueueSize:     cfg.QueueSize,
		FailOpen:      cfg.FailOpen,
		Retention:     periods,
		Clock:         clk,
		Registerer:    reg,
	})
	if err != nil {
		return nil, fmt.Errorf("audit: opening the trail: %w", err)
	}
	a.Auditor = auditor.New(a.Trail, a.Pseudonymizer, clk)
	return a, nil
}

// Close drains and closes the trail (final checkpoints), then the subject
// keys the trail seals with.
func (a *Audit) Close() error {
	var errs []error
	if a.Trail != nil {
		errs = append(errs, a.Trail.Close())
	}
	if a.Subjects != nil {
		errs = append(errs, a.Subjects.Close())
	}
	return errors.Join(errs...)
}
