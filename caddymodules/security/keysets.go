package security

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/portcullis/portcullis/internal/token"
)

// keySetPool holds one refreshed key set per source (and refresh interval),
// shared by every jwt_auth handler that names it and kept across config
// reloads: Caddy provisions the new config before it cleans up the old one,
// so the fetcher and its last good set survive a reload.
var keySetPool = caddy.NewUsagePool()

type pooledKeySource struct{ *token.KeySource }

// Destruct stops the background refresh once no config uses the source.
func (p pooledKeySource) Destruct() error {
	p.Close()
	return nil
}

// keySetsMu guards App.keySets, the pool entries each app acquired and
// releases in Cleanup.
var keySetsMu sync.Mutex

// KeySource returns the shared, refreshed key set read from src (a file path
// or an http(s) URL), or from the app's `jwks` when src is empty. The first
// use reads the source and fails, naming it, when it holds no usable key.
func (a *App) KeySource(src string) (*token.KeySource, error) {
	if src == "" {
		src = a.JWKS
	}
	if src == "" {
		return nil, errors.New("no key set configured: set jwks in the handler or in the portcullis global option")
	}
	refresh := time.Duration(a.JWKSRefresh)
	if refresh <= 0 {
		refresh = DefaultJWKSRefresh
	}
	// The source outlives this config (it is pooled), so it logs with the
	// process logger rather than this config's.
	logger := caddy.Log().Named("portcullis.jwks")
	key := fmt.Sprintf("%s|%s", src, refresh)
	v, _, err := keySetPool.LoadOrNew(key, func() (caddy.Destructor, error) {
		ks, err := token.NewKeySource(token.SourceOptions{Source: src, Refresh: refresh, Logger: logger})
		if err != nil {
			return nil, err
		}
		return pooledKeySource{ks}, nil
	})
	if err != nil {
		return nil, err
	}
	keySetsMu.Lock()
	a.keySets = append(a.keySets, key)
	keySetsMu.Unlock()
	return v.(pooledKeySource).KeySource, nil
}

// releaseKeySets gives back every key set this app acquired; the last
// release of a source stops its refresh.
func (a *App) releaseKeySets() {
	keySetsMu.Lock()
	defer keySetsMu.Unlock()
	for _, k := range a.keySets {
		_, _ = keySetPool.Delete(k)
	}
	a.keySets = nil
}
