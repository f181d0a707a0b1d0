// Command demo-upstream serves the small demo orchestrator API that `make run`
// and `make bench` put behind the gateway (see internal/demoupstream).
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/portcullis/portcullis/internal/demoupstream"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9000", "address to listen on")
	flag.Parse()
	srv := &http.Server{
		Addr:              *listen,
		Handler:           demoupstream.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(os.Stderr, "demo-upstream: listening on http://%s\n", *listen)
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintf(os.Stderr, "demo-upstream: %v\n", err)
		os.Exit(1)
	}
}
