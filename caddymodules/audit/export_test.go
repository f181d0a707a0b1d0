package audit

import (
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/caddymodules/security"
)

// NewForTest sets up a handler writing to sink, without a Caddy config.
func NewForTest(sink security.AuditSink, failOpen bool) *Audit {
	h := new(Audit)
	h.setup(sink, failOpen, nil, zap.NewNop())
	return h
}
