// Package portcullis is the module root that xcaddy imports: building Caddy
// with `xcaddy build --with github.com/portcullis/portcullis` (see xcaddy.env)
// registers every Portcullis module, exactly as cmd/caddy does.
package portcullis

import _ "github.com/portcullis/portcullis/caddymodules"
