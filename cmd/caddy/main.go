// Command caddy is Caddy v2 with its standard modules and Portcullis's gateway handlers.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/portcullis/portcullis/caddymodules"
)

func main() {
	caddycmd.Main()
}
