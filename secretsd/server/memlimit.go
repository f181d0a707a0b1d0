package server

import (
	"os"
	"runtime/debug"

	"github.com/rs/zerolog"
)

// baseMemory is what secretsd needs besides password hashing: the heap of its
// caches, requests and store connections, measured well under 64 MiB.
const baseMemory = 128 << 20

// setMemoryLimit gives the Go runtime a soft memory limit unless the operator
// chose one (GOMEMLIMIT). Each login allocates Argon2id's whole memory
// ([password] memory_kib, 64 MiB by default); with the default GOGC the heap
// may grow to twice the hashes in flight before a collection, so a burst of
// logins held about 400 MB. With the limit the collector runs sooner, and the
// process stays near the hashes it may run at once plus baseMemory.
func setMemoryLimit(hashMemory int64, log zerolog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := hashMemory + baseMemory
	debug.SetMemoryLimit(limit)
	log.Debug().Int64("bytes", limit).Msg("go memory limit set from the password hashing budget")
}
