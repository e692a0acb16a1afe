//go:build race

package loadtest

// raceEnabled is true under the race detector, which slows every request
// several times over: the short test then sends fewer.
const raceEnabled = true
