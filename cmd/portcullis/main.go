// Command portcullis is the command-line tool of Portcullis (see internal/cli).
package main

import (
	"os"

	"github.com/portcullis/portcullis/internal/cli"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], os.Stdout, os.Stderr))
}
