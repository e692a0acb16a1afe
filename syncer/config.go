package syncer

import (
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/api"
)

// The defaults of Config, and why (docs/sync.md has the reasoning at
// length).
const (
	// DefaultRate is the requests a second one process sends ChargeDesk:
	// half of the 60 a minute a production connector assumes (ChargeDesk
	// does not publish its limit), leaving the other half to the importer,
	// other instances and the merchant's own scripts.
	DefaultRate = 0.5
	// DefaultBurst is how many requests may go at once after a quiet spell.
	DefaultBurst = 5
	// DefaultWorkers is how many pushes one process runs at once. At the
	// default rate more would only wait for the rate limiter.
	DefaultWorkers = 4
	// DefaultRequestTimeout bounds one request to ChargeDesk.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultSettleTime is how long an object stays held after a push
	// whose outcome is unknown (no answer), so that a late-arriving older
	// push cannot land after the next, newer one.
	DefaultSettleTime = 30 * time.Second
	// DefaultJobTimeout bounds one job: waiting for the object's lock and
	// the rate limiter, reading the Source and pushing, a few times if the
	// object changes meanwhile.
	DefaultJobTimeout = 2 * time.Minute
	// DefaultMaxAttempts is how many failed attempts a push gets before it
	// is kept as failed. With DefaultMaxBackoff that is about a day of
	// trying; snoozes (429, Retry-After, a paused key) do not count.
	DefaultMaxAttempts = 300
	// DefaultMaxBackoff caps the wait between two attempts.
	DefaultMaxBackoff = 5 * time.Minute
	// DefaultAuthPause is how long every push of the process waits after
	// ChargeDesk refused the API key (401 or 403).
	DefaultAuthPause = time.Minute
	// DefaultFailedRetention is how long a failed push is kept (listed by
	// Failed, retryable) before River deletes it.
	DefaultFailedRetention = 30 * 24 * time.Hour
	// DefaultPollInterval is how often a worker looks for jobs it was not
	// told about (PostgreSQL notifies workers of new jobs at once; SQLite
	// cannot).
	DefaultPollInterval = time.Second
)

// Config configures a Syncer. The zero value of each field is its default;
// a negative duration or count is refused by the constructor with an error
// naming the field. Source and APIKey are needed only to Start the
// workers: a Syncer without them can mark objects and manage failed pushes
// (as the chargedesk-sync command does).
type Config struct {
	// Source reads the platform's objects. Required by Start.
	Source Source
	// APIKey is ChargeDesk's secret API key. Required by Start; never
	// logged.
	APIKey string
	// APIOptions configure the API client (api.WithBaseURL,
	// api.WithHTTPClient, api.WithUserAgent). The syncer adds
	// api.WithRetryPolicy(api.NoRetries) after them: a failed push is
	// retried by the queue, so no worker sleeps inside a request.
	APIOptions []api.Option

	// Rate is the most requests a second this process sends ChargeDesk
	// (default DefaultRate); instances each have their own, so divide
	// ChargeDesk's limit among them.
	Rate float64
	// Burst is how many requests may be sent at once after a quiet spell
	// (default DefaultBurst).
	Burst int
	// Workers is how many pushes this process runs at once (default
	// DefaultWorkers).
	Workers int

	// RequestTimeout bounds one request to ChargeDesk (default
	// DefaultRequestTimeout).
	RequestTimeout time.Duration
	// SettleTime is how long an object stays held after a push that got no
	// answer (default DefaultSettleTime).
	SettleTime time.Duration
	// JobTimeout bounds one job (default DefaultJobTimeout); it must be
	// longer than RequestTimeout.
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before it is taken to
	// be abandoned (its worker was killed) and run again. Default
	// JobTimeout + SettleTime + 30s; it must be longer than JobTimeout +
	// SettleTime, so that a job is never run again while its first run can
	// still be sending.
	RescueAfter time.Duration
	// MaxAttempts is how many failed attempts a push gets before it is kept
	// as failed (default DefaultMaxAttempts).
	MaxAttempts int
	// MaxBackoff caps the wait between attempts, which doubles from one
	// second (default DefaultMaxBackoff).
	MaxBackoff time.Duration
	// AuthPause is how long every push of this process waits after
	// ChargeDesk refused the API key (default DefaultAuthPause).
	AuthPause time.Duration
	// FailedRetention is how long failed pushes are kept to be listed and
	// retried (default DefaultFailedRetention).
	FailedRetention time.Duration
	// PollInterval is how often workers look for jobs they were not
	// notified of (default DefaultPollInterval).
	PollInterval time.Duration

	// Locker holds each object while one worker pushes it. Default: on
	// PostgreSQL, backend/postgres's lease table (shared by every
	// instance); on SQLite, an in-process chargedesk.MemoryLocker (SQLite
	// serves one process).
	Locker chargedesk.Locker
	// Logger receives one debug line per push, warnings for retried
	// failures and errors for kept ones (default: no logs).
	Logger *zerolog.Logger
}

// errConfig names a bad setting.
var errConfig = errors.New("syncer: bad config")

// withDefaults returns cfg with its defaults filled in, or an error naming
// the first bad field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Rate < 0 || cfg.Burst < 0 || cfg.Workers < 0 || cfg.MaxAttempts < 0 {
		return cfg, fmt.Errorf("%w: Rate, Burst, Workers and MaxAttempts may not be negative", errConfig)
	}
	for name, d := range map[string]time.Duration{"RequestTimeout": cfg.RequestTimeout, "SettleTime": cfg.SettleTime,
		"JobTimeout": cfg.JobTimeout, "RescueAfter": cfg.RescueAfter, "MaxBackoff": cfg.MaxBackoff,
		"AuthPause": cfg.AuthPause, "FailedRetention": cfg.FailedRetention, "PollInterval": cfg.PollInterval} {
		if d < 0 {
			return cfg, fmt.Errorf("%w: %s may not be negative", errConfig, name)
		}
	}
	set := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	set(&cfg.RequestTimeout, DefaultRequestTimeout)
	set(&cfg.SettleTime, DefaultSettleTime)
	set(&cfg.JobTimeout, DefaultJobTimeout)
	set(&cfg.RescueAfter, cfg.JobTimeout+cfg.SettleTime+30*time.Second)
	set(&cfg.MaxBackoff, DefaultMaxBackoff)
	set(&cfg.AuthPause, DefaultAuthPause)
	set(&cfg.FailedRetention, DefaultFailedRetention)
	set(&cfg.PollInterval, DefaultPollInterval)
	if cfg.JobTimeout <= cfg.RequestTimeout {
		return cfg, fmt.Errorf("%w: JobTimeout (%s) must be longer than RequestTimeout (%s)", errConfig, cfg.JobTimeout, cfg.RequestTimeout)
	}
	if cfg.RescueAfter <= cfg.JobTimeout+cfg.SettleTime {
		return cfg, fmt.Errorf("%w: RescueAfter (%s) must be longer than JobTimeout + SettleTime (%s)", errConfig,
			cfg.RescueAfter, cfg.JobTimeout+cfg.SettleTime)
	}
	if cfg.Logger == nil {
		nop := zerolog.Nop()
		cfg.Logger = &nop
	}
	return cfg, nil
}
