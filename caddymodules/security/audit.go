package security

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/retention"
	"github.com/portcullis/portcullis/audit/shred"
	"github.com/portcullis/portcullis/audit/trail"
)

// AuditConfig is where the gateway writes its audit trail (the `audit`
// block of the portcullis option). Placeholders such as {env.X} in the paths
// are expanded at provisioning; relative paths are relative to Caddy's
// working directory.
type AuditConfig struct {
	// Dir is the trail's root directory, shared by every writer on the host
	// (secretsd may write under it too). Required.
	Dir string `json:"dir"`

	// Writer names this gateway's chains: [a-z0-9][a-z0-9._-]{0,63}. Two
	// processes must never share one. Default: "gateway-" and the host name.
	Writer string `json:"writer,omitempty"`

	// SigningKey is the Ed25519 private key (PKCS#8 PEM) that signs the
	// chains' checkpoints, created 0600 when absent. It must not live in the
	// trail directory. Default: <dir>/../audit-keys/<writer>.ed25519.
	SigningKey string `json:"signing_key,omitempty"`

	// PseudonymKey is the HMAC key that pseudonymises user ids and source
	// addresses, created when absent; secretsd must use the same file so a
	// person has one pseudonym in both. Default:
	// <dir>/../audit-keys/pseudonym.key.
	PseudonymKey string `json:"pseudonym_key,omitempty"`

	// SubjectKeys is the per-subject key store (SQLite) that seals personal
	// values so they can be erased (crypto-shredding). Default: none (no
	// personal values are sealed).
	SubjectKeys string `json:"subject_keys,omitempty"`

	// QueueSize bounds the per-request event queue. Default: the trail's
	// (65536).
	QueueSize int `json:"queue_size,omitempty"`

	// FailOpen serves requests whose event cannot be queued (the event is
	// dropped and counted) instead of refusing them with 503. Default: false
	// (fail closed).
	FailOpen bool `json:"fail_open,omitempty"`

	// RetentionStandard is how long standard events are kept, by calendar
	// date: a number and y (years), m (months) or d (days), combined in that
	// order ("365d", "18m", "1y6m"). Default: "365d".
	RetentionStandard string `json:"retention_standard,omitempty"`

	// RetentionBreakGlass is how long break-glass events are kept, in the
	// form of RetentionStandard. Default: "7y".
	RetentionBreakGlass string `json:"retention_break_glass,omitempty"`

	// Fields sets the pseudonymisation of personal fields before events are
	// written: field (user.id, user.name, user.email, source.ip,
	// source.address) to mode (pseudonymise, truncate for addresses only,
	// keep, drop). Fields not named keep the default: user fields
	// pseudonymised, source addresses truncated. secretsd's [audit] fields
	// must say the same, so that both programs write one person alike.
	Fields map[string]pseudo.Mode `json:"fields,omitempty"`
}

// MaxAuditQueueSize bounds queue_size: a queued event holds about 1 KiB, so
// the cap keeps a full queue within the gateway's memory budget.
const MaxAuditQueueSize = 1 << 20

// AuditSink is what the gateway's handlers need of the audit trail
// (*trail.Trail): Reserve then EnqueueReserved (or Unreserve) for
// per-request events, so a request without a place for its event can be
// refused before it is served; Enqueue when failing open; Record for
// privileged actions that must be durable before they take effect.
type AuditSink interface {
	Reserve() error
	EnqueueReserved(*event.Event) error
	Unreserve()
	Enqueue(*event.Event) error
	Record(context.Context, *event.Event) error
}

// writerPattern is trail.Config.Writer's syntax.
var writerPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// DefaultWriter is "gateway-" and the host name made safe for a writer name.
func DefaultWriter() string {
	host, _ := os.Hostname()
	return "gateway-" + sanitizeWriter(host)
}

func sanitizeWriter(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
	if s == "" {
		s = "localhost"
	}
	return s[:min(len(s), 64-len("gateway-"))]
}

// resolved returns the configuration with placeholders expanded, paths
// made absolute and defaults applied.
func (c AuditConfig) resolved() (AuditConfig, error) {
	repl := caddy.NewReplacer()
	var err error
	abs := func(p string) string {
		if p == "" || err != nil {
			return p
		}
		p = repl.ReplaceKnown(p, "")
		if p, err = filepath.Abs(p); err != nil {
			err = fmt.Errorf("audit: %w", err)
		}
		return p
	}
	if c.Dir == "" {
		return c, errors.New("audit: dir is required")
	}
	c.Dir = abs(c.Dir)
	if c.Writer == "" {
		c.Writer = DefaultWriter()
	}
	c.Writer = repl.ReplaceKnown(c.Writer, "")
	if !writerPattern.MatchString(c.Writer) {
		return c, fmt.Errorf("audit: writer %q must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit", c.Writer)
	}
	keyDir := filepath.Join(filepath.Dir(c.Dir), "audit-keys")
	if c.SigningKey == "" {
		c.SigningKey = filepath.Join(keyDir, c.Writer+".ed25519")
	}
	if c.PseudonymKey == "" {
		c.PseudonymKey = filepath.Join(keyDir, "pseudonym.key")
	}
	c.SigningKey, c.PseudonymKey, c.SubjectKeys = abs(c.SigningKey), abs(c.PseudonymKey), abs(c.SubjectKeys)
	if err != nil {
		return c, err
	}
	if within(c.SigningKey, c.Dir) {
		return c, fmt.Errorf("audit: signing_key %s is inside the trail directory %s: keep the private key apart from the log", c.SigningKey, c.Dir)
	}
	if c.QueueSize < 0 || c.QueueSize > MaxAuditQueueSize {
		return c, fmt.Errorf("audit: queue_size %d is out of range [1, %d]", c.QueueSize, MaxAuditQueueSize)
	}
	if c.RetentionStandard == "" {
		c.RetentionStandard = retention.DefaultPeriods().Standard.String()
	}
	if c.RetentionBreakGlass == "" {
		c.RetentionBreakGlass = retention.DefaultPeriods().BreakGlass.String()
	}
	if _, err := c.retentionPeriods(); err != nil {
		return c, err
	}
	for field, mode := range c.Fields {
		if err := pseudo.CheckField(field, mode); err != nil {
			return c, fmt.Errorf("audit: fields: %w", err)
		}
	}
	return c, nil
}

// retentionPeriods are RetentionStandard and RetentionBreakGlass as the
// trail takes them.
func (c AuditConfig) retentionPeriods() (retention.Periods, error) {
	var ps retention.Periods
	var err error
	if ps.Standard, err = retention.ParsePeriod(c.RetentionStandard); err != nil {
		return ps, fmt.Errorf("audit: retention_standard: %w", err)
	}
	if ps.BreakGlass, err = retention.ParsePeriod(c.RetentionBreakGlass); err != nil {
		return ps, fmt.Errorf("audit: retention_break_glass: %w", err)
	}
	return ps, nil
}

// equal reports whether c and o configure the same trail.
func (c AuditConfig) equal(o AuditConfig) bool {
	same := maps.Equal(c.Fields, o.Fields) // nil and empty alike
	c.Fields, o.Fields = nil, nil
	return same && reflect.DeepEqual(c, o)
}

func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// auditPool keeps one Trail per trail directory and writer across config
// reloads: Caddy provisions the new config before it cleans up the old one,
// and a second Trail cannot open a writer directory that the first holds
// (the trail locks it).
var auditPool = caddy.NewUsagePool()

type sharedTrail struct {
	key     string
	cfg     AuditConfig
	trail   *trail.Trail
	keys    *shred.Keys
	metrics *collectorSet
	// stopRetention ends the retention loop; retained is closed when it has.
	stopRetention context.CancelFunc
	retained      chan struct{}
}

func (s *sharedTrail) Destruct() error {
	s.stopRetention()
	<-s.retained
	err := s.trail.Close()
	if s.keys != nil {
		err = errors.Join(err, s.keys.Close())
	}
	return err
}

func openTrail(c AuditConfig, m *collectorSet, logger *zap.Logger) (*sharedTrail, error) {
	signer, err := trail.LoadOrCreateSigner(c.SigningKey)
	if err != nil {
		return nil, fmt.Errorf("audit: signing key: %w", err)
	}
	k, err := pseudo.LoadOrCreateKey("k1", c.PseudonymKey)
	if err != nil {
		return nil, fmt.Errorf("audit: pseudonym key: %w", err)
	}
	p, err := pseudo.New(pseudo.Config{Keys: []pseudo.Key{k}, Fields: c.Fields})
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	periods, err := c.retentionPeriods()
	if err != nil {
		return nil, err
	}
	s := &sharedTrail{cfg: c, metrics: m}
	if c.SubjectKeys != "" {
		if s.keys, err = shred.OpenKeys(c.SubjectKeys); err != nil {
			return nil, fmt.Errorf("audit: subject keys: %w", err)
		}
	}
	s.trail, err = trail.Open(trail.Config{
		Root:          c.Dir,
		Writer:        c.Writer,
		Signer:        signer,
		KeyID:         c.Writer,
		Pseudonymizer: p,
		Keys:          s.keys,
		QueueSize:     c.QueueSize,
		FailOpen:      c.FailOpen,
		Retention:     periods,
		Registerer:    m,
	})
	if err != nil {
		if s.keys != nil {
			_ = s.keys.Close()
		}
		return nil, fmt.Errorf("audit: opening the trail: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopRetention, s.retained = cancel, make(chan struct{})
	go func() {
		defer close(s.retained)
		runRetention(ctx, s.trail, c.Dir, logger)
	}()
	return s, nil
}

// provisionAudit opens (or, after a config reload, shares) the trail.
func (a *App) provisionAudit(ctx caddy.Context) error {
	c, err := a.Audit.resolved()
	if err != nil {
		return fmt.Errorf("portcullis: %w", err)
	}
	key := c.Dir + "\x00" + c.Writer
	v, loaded, err := auditPool.LoadOrNew(key, func() (caddy.Destructor, error) {
		s, err := openTrail(c, newCollectorSet(ctx.GetMetricsRegistry()), a.logger.Named("audit"))
		if s != nil {
			s.key = key
		}
		return s, err
	})
	if err != nil {
		return fmt.Errorf("portcullis: %w", err)
	}
	s := v.(*sharedTrail)
	a.audit = s
	if loaded {
		// Each config has its own metrics registry: show the trail's there too.
		s.metrics.registerIn(ctx.GetMetricsRegistry())
		if !s.cfg.equal(c) {
			a.logger.Warn("audit settings other than dir and writer changed; they take effect when the gateway restarts",
				zap.String("dir", c.Dir), zap.String("writer", c.Writer))
		}
	}
	a.logger.Info("audit trail open", zap.String("dir", c.Dir), zap.String("writer", c.Writer),
		zap.Bool("fail_open", c.FailOpen), zap.Bool("subject_keys", c.SubjectKeys != ""))
	return nil
}

func (a *App) releaseAudit() error {
	if a.audit == nil {
		return nil
	}
	_, err := auditPool.Delete(a.audit.key)
	a.audit = nil
	return err
}

// AuditSink returns the trail, or nil when the portcullis app has no audit
// block.
func (a *App) AuditSink() AuditSink {
	if a.audit == nil {
		return nil
	}
	return a.audit.trail
}

// AuditFailOpen reports whether requests whose event cannot be queued are
// served anyway.
func (a *App) AuditFailOpen() bool { return a.audit != nil && a.audit.cfg.FailOpen }

// AuditSinkFromContext returns the trail of the config being provisioned,
// or nil when the config has no portcullis option or it has no audit block.
// Unlike FromContext it never instantiates the app.
func AuditSinkFromContext(ctx caddy.Context) (AuditSink, bool, error) {
	v, err := ctx.AppIfConfigured(AppName)
	if errors.Is(err, caddy.ErrNotConfigured) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("loading the portcullis app: %w", err)
	}
	app := v.(*App)
	return app.AuditSink(), app.AuditFailOpen(), nil
}
