// Package server wires secretsd: it opens the store and the keys, builds the
// services and the REST API over them, and runs the HTTP server with its
// background work (signing-key maintenance, pruning) until the context ends,
// then shuts down gracefully.
package server

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/secretsd/api"
	"github.com/portcullis/portcullis/secretsd/config"
)

// Server is a configured secretsd, ready to serve.
type Server struct {
	cfg      config.Config
	log      zerolog.Logger
	opts     options
	svc      *Services
	api      *api.API
	stopping chan struct{}
	stopOnce sync.Once
	audit    *auditReaders
}

// New opens the services of cfg and builds the API. Close releases them.
func New(ctx context.Context, cfg config.Config, log zerolog.Logger, opts ...Option) (_ *Server, err error) {
	reg := api.NewRegistry()
	svc, err := OpenServices(ctx, cfg, log, append([]Option{WithRegisterer(reg)}, opts...)...)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, opts: collect(opts), svc: svc, stopping: make(chan struct{})}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := s.openAuditReaders(ctx, cfg.Audit); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	apiOpts := api.Options{
		Registry: reg,
		Audit: &api.Audit{
			Root:          cfg.Audit.Dir,
			Trail:         svc.Audit.Trail,
			Index:         s.audit.index,
			Pseudonymizer: svc.Audit.Pseudonymizer,
			Holds:         s.audit.holds,
			Subjects:      svc.Audit.Subjects,
			Auditor:       svc.Audit.Auditor,
			Clock:         s.opts.clock,
			Host:          host,
		},
		Identity:     svc.Identity,
		Keys:         svc.Keys,
		PingStore:    svc.Store.Ping,
		Log:          log.With().Str("component", "http").Logger(),
		MaxBodyBytes: cfg.Server.MaxBodyBytes,
		FeedToken:    cfg.Revocation.FeedToken,
		// A long poll must answer before the server's write deadline.
		MaxFeedWait: min(api.DefaultMaxFeedWait, cfg.Server.WriteTimeout*3/4),
		Stopping:    s.stopping,
	}
	if svc.Redis != nil {
		apiOpts.PingRedis = func(ctx context.Context) error { return svc.Redis.Ping(ctx).Err() }
	}
	s.api = api.New(apiOpts)
	return s, nil
}

// Handler is the REST API.
func (s *Server) Handler() http.Handler { return s.api }

// Services are the server's services (tests read the store through them).
func (s *Server) Services() *Services { return s.svc }

// Close closes the audit index, then the services (the trail last of the
// audit parts, so that everything queued is written).
func (s *Server) Close() error {
	return errors.Join(s.audit.close(), s.svc.Close())
}

// Run is secretsd serve: it listens on [server] listen and serves until ctx
// ends (SIGINT/SIGTERM in main), then shuts down gracefully.
func Run(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	s, err := New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	setMemoryLimit(s.svc.Identity.PasswordHashMemory(), log)
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Server.Listen, err)
	}
	return s.Serve(ctx, ln)
}

// Serve answers on ln until ctx ends. Then it stops accepting connections,
// ends the revocation feed's long polls, and lets in-flight requests finish
// within [server] shutdown_timeout; it returns an error only when they did
// not (they are then cut) or the listener failed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.logStart(ln.Addr())
	hs := &http.Server{
		Handler:           s.api,
		ReadHeaderTimeout: s.cfg.Server.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.Server.ReadTimeout,
		WriteTimeout:      s.cfg.Server.WriteTimeout,
		IdleTimeout:       s.cfg.Server.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          stdlog.New(s.log.With().Str("component", "http").Logger(), "", 0),
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { s.svc.Keys.Run(bg) })
	wg.Go(func() { s.pruneLoop(bg) })
	s.runAudit(bg, &wg)
	defer func() {
		stopBG()
		wg.Wait()
	}()

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	s.log.Info().Stringer("timeout", s.cfg.Server.ShutdownTimeout).Msg("shutting down: draining requests")
	s.stopOnce.Do(func() { close(s.stopping) })
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Server.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
		return fmt.Errorf("shutdown: requests still running after %s were cut: %w", s.cfg.Server.ShutdownTimeout, err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info().Msg("stopped")
	return nil
}

// logStart writes the one start-up line: where, on what, with which key.
// Never a DSN, a URL with its password, a key or a token.
func (s *Server) logStart(addr net.Addr) {
	ev := s.log.Info().
		Str("listen", addr.String()).
		Str("public_url", s.cfg.PublicBaseURL()).
		Str("store", s.svc.Store.Driver())
	if s.svc.Store.Driver() == "sqlite" {
		ev.Str("store_path", s.cfg.Storage.Path)
	}
	redisState := "off"
	if s.svc.Redis != nil {
		redisState = "on"
	}
	ev.Str("redis", redisState).
		Str("signing_alg", s.cfg.JWT.Algorithm).
		Str("kid", s.svc.Keys.ActiveKeyID()).
		Str("kek", s.svc.Sealer.KeyID()).
		Msg("secretsd started")
}
