package jwtauth

import (
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/token"
)

// SetupForTest provisions the handler without a Caddy config, with the given
// keys, revocation checker and clock.
func (h *JWTAuth) SetupForTest(keys token.KeyProvider, rev revocation.Checker, clk clock.Clock) error {
	return h.setup(keys, rev, clk, zap.NewNop())
}
