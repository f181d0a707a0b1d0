package signing

// JWKS returns the published key set (RFC 7517 §5) as JSON: the active key
// and every retired key still within its PublishUntil, active first, then
// newest first. Only public members are written: each key was re-encoded
// from its public half when loaded.
func (k *Keyring) JWKS() ([]byte, error) {
	st := k.state.Load()
	now := k.clock.Now()
	published := make([]*publicKey, 0, len(st.keys))
	for _, pk := range st.keys {
		if pk.publishedAt(now) {
			published = append(published, pk)
		}
	}
	return jwksDocument(published), nil
}

// jwksDocument joins public JWKs into {"keys":[...]}.
func jwksDocument(keys []*publicKey) []byte {
	n := len(`{"keys":[]}`)
	for _, pk := range keys {
		n += len(pk.jwk) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"keys":[`...)
	for i, pk := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, pk.jwk...)
	}
	return append(b, "]}"...)
}
