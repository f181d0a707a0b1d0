// Package loadbench is the end-to-end benchmark behind `make bench`: it runs
// our Caddy build as a bare reverse_proxy and with the full gateway chain in
// front of the same demo upstream, drives them with wrk in interleaved rounds
// (bare, chain, bare, chain…), reads each gateway's CPU time and peak memory
// from /proc, and prints one table with the ratios to bare and a verdict per
// performance target of issue 2. MeasureSecretsd does the same for secretsd
// (issue 3): logins and refresh-token rotation per signing algorithm, driven
// by the Go client, with secretsd's CPU and memory read from /proc.
//
// Parsing (wrk's report, /proc files, `go test -bench` output) is separate
// from running processes, so that it is tested on its own.
package loadbench
