// Package testclock is the date the project's tests run at. Code that reads
// the time takes a clock (apitest.Options.Now, the example's ledger, the
// simulator's --clock); tests give it this one, so that no test depends on
// the day it runs.
//
// By default the date is the wall clock's when the test binary starts. CI
// runs the date-sensitive suites again with CHARGEDESK_TEST_NOW set to a
// date years ahead and one in the past (see .ci/run): a test that compares
// a date fixed in its code with the time of the run fails there.
package testclock

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// Env names the variable that sets the date, in RFC 3339
// ("2031-06-30T12:00:00Z").
const Env = "CHARGEDESK_TEST_NOW"

var start = sync.OnceValue(func() time.Time {
	v := os.Getenv(Env)
	if v == "" {
		return time.Now().UTC().Truncate(time.Second)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		panic(fmt.Sprintf("testclock: %s=%q is not an RFC 3339 time such as 2031-06-30T12:00:00Z", Env, v))
	}
	return t.UTC()
})

// Now returns the tests' date: the same instant for the whole test binary.
func Now() time.Time { return start() }

// Clock returns a clock that reads Now when it is made and runs on at the
// wall clock's pace, for code that measures durations (rate-limit windows,
// ages) as well as stamping dates.
func Clock() func() time.Time {
	base, wall := Now(), time.Now()
	return func() time.Time { return base.Add(time.Since(wall)) }
}
