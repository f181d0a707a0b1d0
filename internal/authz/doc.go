// Package authz is the gateway's Cedar authorization engine: it loads a Cedar
// schema and policy files, validates every policy against the schema, indexes
// the policies by action and resource so that a request only evaluates the
// policies that can apply to it, decides requests (deny by default, and deny
// whenever evaluation errors), reloads the files when they change without a
// restart (an invalid new set is rejected and the old one stays in force), and
// optionally evaluates a candidate ("shadow") set on live traffic, reporting
// where it would decide differently without enforcing it.
//
// Entities and the context are built once per distinct user, path and
// (client IP, MFA state, second) and cached in fixed-size tables, so a
// repeated caller costs little more than the evaluation of the policies in
// its bucket.
//
// The package knows nothing of Caddy or HTTP handlers: the caller describes a
// request as a [Request] (principal from the verified token, method, path,
// client IP, time) and gets a [Decision]. caddymodules/cedarauthz adapts it.
//
// # How a request becomes a Cedar request
//
//   - principal: Portcullis::User::"<sub>" with attributes role, team, groups
//     and client_id, and as parents Portcullis::Role::"<role>",
//     Portcullis::Team::"<team>" and Portcullis::Group::"<g>" for each group.
//   - action: Portcullis::Action::"<name>", from the first matching
//     [ActionRule] or else the method (GET/HEAD/OPTIONS → read,
//     POST/PUT/PATCH → write, DELETE → delete). Other methods have no action
//     and are denied.
//   - resource: a path with dot segments, empty segments or an encoded
//     slash is denied (the upstream might read it differently); otherwise
//     the first [Template] matching the path gives
//     Portcullis::Resource::"<path>" (attributes kind, id, team, path; every
//     captured variable as a tag; parent Portcullis::Kind::"<kind>"), and an
//     unmatched path gives the catch-all Portcullis::Path::"<path>".
//   - context: source_ip, time, hour, weekday, mfa, mfa_age_seconds,
//     environment, break_glass, method (see policies/portcullis.cedarschema).
package authz
