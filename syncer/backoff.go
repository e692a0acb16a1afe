package syncer

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// backoff is the retry policy of failed pushes: one second, doubling with
// each attempt up to max, with "equal jitter" (half the delay for sure,
// half at random) so that pushes that failed together spread out.
type backoff struct {
	max time.Duration
	// now and jitter (0 <= jitter() < 1) are injected in tests.
	now    func() time.Time
	jitter func() float64
}

// delay is the wait after the attempt-th failed attempt.
func (b backoff) delay(attempt int) time.Duration {
	d := b.max
	if attempt >= 1 && attempt < 40 {
		d = min(time.Second<<(attempt-1), b.max)
	}
	j := rand.Float64
	if b.jitter != nil {
		j = b.jitter
	}
	return d/2 + time.Duration(float64(d/2)*j())
}

// NextRetry implements river.ClientRetryPolicy.
func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	now := time.Now
	if b.now != nil {
		now = b.now
	}
	return now().Add(b.delay(job.Attempt))
}
