// Package token verifies OAuth 2.0 access tokens in the JWT format (RFC 9068)
// against JSON Web Key Sets (RFC 7517) and turns them into the gateway's
// principal.Principal.
//
// Its rules are strict on purpose, because every rule here closes a known
// attack on JWT verifiers:
//
//   - The signing algorithm is taken from the key (its "alg" member, or the
//     one its type implies), never from the token: the header's "alg" must
//     equal it (RFC 8725 §3.1, §3.2). "none" and every HMAC algorithm are
//     refused, so a public key can never be used as an HMAC secret.
//   - Headers that point at other keys ("jwk", "jku", "x5u", "x5c") are
//     refused (RFC 8725 §3.10), and so is any "crit" header, since no
//     extension is understood (RFC 7515 §4.1.11).
//   - JSON with duplicate member names is refused (RFC 7515 §5.2 lets us;
//     different parsers would otherwise see different claims), and claims of
//     the wrong JSON type are errors, not zero values.
//   - iss, aud, sub, jti, exp and iat are required (RFC 9068 §2.2) and exp,
//     nbf and iat are checked with a small leeway.
//
// Signatures are checked by lestrrat-go/jwx's verifiers over the standard
// library's crypto; nothing here implements cryptography.
//
// A KeySource keeps one refreshed key set per file or URL; a Verifier applies
// one handler's policy (issuer, audiences, algorithms, typ, leeway) and keeps
// a bounded cache of verified tokens keyed by their SHA-256, in which only the
// compact Principal is stored, never the token.
package token
