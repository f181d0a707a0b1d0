package main

import (
	"context"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/secretsd/config"
	"github.com/portcullis/portcullis/secretsd/server"
)

func newServeCommand(configPath *string, e env) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Serve the REST API until SIGINT or SIGTERM (the default command)",
		Long: `Serve the REST API on [server] listen until SIGINT or SIGTERM, then stop
accepting connections and let requests in flight finish within
[server] shutdown_timeout. See "secretsd --help" for the configuration.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), *configPath, e)
		},
	}
}

func serve(ctx context.Context, configPath string, e env) error {
	cfg, log, err := loadConfig(configPath, e)
	if err != nil {
		return err
	}
	return server.Run(ctx, cfg, log)
}

// loadConfig reads the configuration and builds the logger, warning about
// SECRETSD_* variables that no setting has (a typo would go unnoticed).
func loadConfig(configPath string, e env) (config.Config, zerolog.Logger, error) {
	cfg, err := config.Load(configPath, e.environ)
	if err != nil {
		return cfg, zerolog.Nop(), err
	}
	log := server.NewLogger(cfg.Log, e.stderr)
	for _, name := range config.UnknownEnv(e.environ) {
		log.Warn().Str("variable", name).Msg("unknown SECRETSD_ environment variable ignored")
	}
	return cfg, log, nil
}
