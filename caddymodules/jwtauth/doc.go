// Package jwtauth is the `jwt_auth` Caddy handler (module
// http.handlers.jwt_auth): it authenticates every request with an OAuth 2.0
// bearer token (RFC 6750 §2.1, `Authorization: Bearer <token>`) in the JWT
// access-token format (RFC 9068), verified against a JSON Web Key Set
// (RFC 7517) read from a file or an http(s) URL.
//
// Caddyfile:
//
//	jwt_auth [<matcher>] {
//	    jwks          <file|url>            # default: the portcullis app's `jwks`
//	    issuer        <iss>                 # required
//	    audience      <aud> [<aud>...]      # required; the token must name one
//	    algorithms    RS256 ES256 EdDSA PS256   # default: all four
//	    typ           at+jwt | any          # default: at+jwt (RFC 9068 §2.1)
//	    leeway        30s                   # default 30s, at most 5m; 0 disables
//	    cache_size    10000                 # verified tokens cached; 0 disables
//	    forward_claim <claim> <Header-Name> # repeatable
//	}
//
// The key set is shared by every handler naming the same source and kept
// fresh by the portcullis app (`jwks_refresh`, default 5m; an unknown kid
// triggers a refetch, at most one per 10s). The algorithm of a token is the
// one of its key, never the one its header claims. See package
// internal/token for every rule a token must satisfy.
//
// On success the handler stores the principal in the request context for
// mfa_stepup and cedar_authz, and provides these placeholders:
//
//	{http.auth.user.id}          sub (Caddy's access log shows it as user_id)
//	{http.auth.user.role}        role
//	{http.auth.user.team}        team
//	{http.auth.user.groups}      groups, comma-separated
//	{http.auth.user.sid}         sid
//	{http.auth.user.jti}         jti
//	{http.auth.user.amr}         amr, comma-separated
//	{http.auth.user.acr}         acr
//	{http.auth.user.auth_time}   auth_time, Unix seconds
//	{http.auth.user.client_id}   client_id
//	{http.auth.user.claim.<name>} any claim (arrays comma-separated, objects as JSON)
//
// Each `forward_claim` passes a claim upstream in a request header. Every
// copy of those headers that the client sent is deleted first, on every
// request, whether or not the token is valid or carries the claim; names
// that differ only by case or by '_' for '-' are deleted too, because some
// upstream frameworks treat them as the same header.
//
// Failures:
//
//   - no bearer token (no Authorization header, or another scheme):
//     401, `WWW-Authenticate: Bearer realm="portcullis"` (RFC 6750 §3.1: no
//     error code when no token was offered);
//   - an invalid, expired or revoked token: 401,
//     `WWW-Authenticate: Bearer realm="portcullis", error="invalid_token",
//     error_description="..."`;
//   - a malformed request (several Authorization headers, a token in the
//     query string): 400 `invalid_request`;
//   - revocation state that cannot be trusted (the mirror is stale): 503
//     `revocation_unavailable` — the handler fails closed.
//
// Every failure has the JSON body of internal/httperr saying what is wrong,
// without echoing the token.
package jwtauth
