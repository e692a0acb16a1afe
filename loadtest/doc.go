// Package loadtest holds the loopback load test of the chargedesk webhook
// handler; it has no code of its own outside its tests.
//
// The test starts the full default handler, and beside it a plain net/http
// baseline, on a real 127.0.0.1 listener and drives each with Go clients:
// throughput and p50/p99 latency at concurrency 1, 16 and 64, then the
// process's peak memory while 200 clients each send a body at the size
// limit. Every phase is bounded by a request count and a time, and the
// servers are shut down when the test ends.
//
//	go test -v -run 'TestLoadShort' ./loadtest/           # bounded, a few seconds (CI)
//	CHARGEDESK_LOAD=1 go test -v -run TestLoad ./loadtest/ # the full figures
//
// Nothing leaves the loopback interface.
package loadtest
