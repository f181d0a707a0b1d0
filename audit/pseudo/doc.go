// Package pseudo pseudonymises personal data before an audit event is written
// (GDPR art. 4(5) and 32): user ids, names and emails become keyed HMAC-SHA256
// pseudonyms, IP addresses are truncated (/24 for IPv4, /48 for IPv6) and kept
// alongside a keyed hash of the full address.
//
// The key is kept apart from the log (a file or the KMS, never the trail), so the
// trail alone does not identify anyone, while whoever holds the key can compute
// the pseudonym of one known person and search for it, like Vault's
// sys/audit-hash. Every pseudonym starts with the id of the key that made it
// ("p1:<base64url>"), so keys can rotate and a reader knows which key to ask.
package pseudo
