package security

import "github.com/portcullis/portcullis/internal/revocation"

// Revocations returns the revocation mirror that jwt_auth consults on every
// request.
//
// PLACEHOLDER owned by the revocation work: it must be replaced by the real
// mirror (Redis pub/sub + resync, or in-memory) before anything lands.
func (a *App) Revocations() revocation.Checker { return a.revocations }
