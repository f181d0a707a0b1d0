package server

import (
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/secretsd/config"
)

// NewLogger builds secretsd's logger from [log]: JSON lines (the default,
// for collectors) or a human-readable console form, at the given level.
func NewLogger(c config.Log, w io.Writer) zerolog.Logger {
	if c.Format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	level, err := zerolog.ParseLevel(c.Level)
	if err != nil || level == zerolog.NoLevel {
		level = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(level).With().Timestamp().Str("service", "secretsd").Logger()
}
