// Package event is the audit trail's record: one Elastic Common Schema (ECS 8.11)
// aligned event per action, with Portcullis' own fields under the single
// "portcullis" namespace, and the closed catalogue of actions that may be written.
//
// The shape is plain structs with JSON tags, so encoding/json gives a stable field
// order (declaration order; map keys sorted). The store hashes the exact bytes it
// writes, so the order must never depend on anything but the value.
//
// The package knows nothing of HTTP or of the store: the gateway and secretsd fill
// an Event, pseudonymise it (package audit/pseudo) and hand it to the store.
package event
