package api

import (
	"context"
	"net/http"
	"sync"

	"github.com/portcullis/portcullis/internal/httperr"
)

// GET /healthz: 200 when the store (and Redis, when configured) answer,
// else 503 in the error shape with each part's state in details.
func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), DefaultHealthCheckTime)
	defer cancel()
	var wg sync.WaitGroup
	storeState, redisState := "ok", "disabled"
	wg.Go(func() { storeState = check(ctx, a.opts.PingStore) })
	if a.opts.PingRedis != nil {
		wg.Go(func() { redisState = check(ctx, a.opts.PingRedis) })
	}
	wg.Wait()
	if storeState != "ok" || (redisState != "ok" && redisState != "disabled") {
		log := a.logger(r)
		log.Warn().Str("store", storeState).Str("redis", redisState).Msg("health check failed")
		_ = httperr.Write(w, httperr.Body{Status: http.StatusServiceUnavailable, Code: codeUnavailable,
			Message: "a part of secretsd is unavailable",
			Details: map[string]any{"status": "unavailable", "store": storeState, "redis": redisState}})
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok", "store": storeState, "redis": redisState})
}

// check pings a part; the answer names no internals (the log has them).
func check(ctx context.Context, ping Pinger) string {
	if ping == nil {
		return "error"
	}
	if err := ping(ctx); err != nil {
		return "error"
	}
	return "ok"
}
