package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/chargedesk/chargedesk-go"
	"github.com/chargedesk/chargedesk-go/internal/safe"
)

const (
	// maxRounds bounds the pushes of one job: an object that keeps
	// changing while it is pushed is snoozed, so it holds no worker for
	// long and its lock is given up between rounds.
	maxRounds = 3
	// lockWait bounds the wait for an object that a live worker pushes;
	// then the job is snoozed for busySnooze.
	lockWait   = 5 * time.Second
	busySnooze = time.Second
	// storeTimeout bounds ending a lease after the job's context ended.
	storeTimeout = 5 * time.Second
)

// pushWorker works push jobs.
type pushWorker[TTx any] struct {
	river.WorkerDefaults[pushArgs]
	s *Syncer[TTx]
}

// Work pushes the job's object: it takes the object's lock, then, up to
// maxRounds times, reads the object's change count, asks the Source for its
// state, pushes it, and completes the job if the count has not changed
// meanwhile.
func (w *pushWorker[TTx]) Work(ctx context.Context, job *river.Job[pushArgs]) error {
	log := w.s.log.With().Str("object", string(job.Args.Object)).Str("id", job.Args.ID).Int64("job_id", job.ID).
		Int("attempt", job.Attempt).Logger()
	err := w.work(ctx, job, &log)
	var snooze *river.JobSnoozeError
	var cancel *river.JobCancelError
	if err != nil && !errors.As(err, &snooze) && !errors.As(err, &cancel) && job.Attempt >= job.MaxAttempts {
		log.Error().Int("max_attempts", job.MaxAttempts).
			Msg("sync: the push failed its last attempt; kept as failed: retry it once the cause is fixed (chargedesk-sync failed, retry)")
	}
	return err
}

func (w *pushWorker[TTx]) work(ctx context.Context, job *river.Job[pushArgs], log *zerolog.Logger) error {
	s := w.s
	obj := job.Args
	def, ok := kinds[obj.Object]
	if err := checkObject(obj.Object, obj.ID); !ok || err != nil {
		log.Error().Str("error", safe.Error(err)).Msg("sync: a push job names no object; kept as failed")
		return river.JobCancel(err)
	}
	if wait := s.pause.remaining(s.now()); wait > 0 {
		return river.JobSnooze(wait)
	}
	lease, snooze, err := s.lock(ctx, obj)
	switch {
	case err != nil:
		log.Warn().Str("error", safe.Error(err)).Msg("sync: the object's lock could not be taken; retrying")
		return err
	case lease == nil:
		return river.JobSnooze(snooze)
	}
	settle := false
	defer func() { s.endLease(lease, settle, log) }()
	if err := s.db.ensure(ctx, obj.Object, obj.ID); err != nil {
		return fmt.Errorf("syncer: recording the push of the %s %s: %w", obj.Object, obj.ID, err)
	}
	for round := 1; round <= maxRounds; round++ {
		if err := s.limiter.Wait(ctx); err != nil {
			return river.JobSnooze(busySnooze) // the rate allows no request before the job's deadline
		}
		v, err := s.db.version(ctx, obj.Object, obj.ID)
		if err != nil {
			return fmt.Errorf("syncer: reading the %s %s's changes: %w", obj.Object, obj.ID, err)
		}
		var result error
		settle, result = s.pushOnce(ctx, def, obj, lease, log)
		if result != nil {
			return result
		}
		done, err := s.db.finish(ctx, job, obj.Object, obj.ID, v)
		if err != nil {
			// Pushed, but not recorded: the next attempt pushes again,
			// which is harmless.
			return fmt.Errorf("syncer: completing the push of the %s %s: %w", obj.Object, obj.ID, err)
		}
		if done {
			return nil
		}
		log.Debug().Int("round", round).Msg("sync: the object changed while it was pushed; pushing it again")
	}
	return river.JobSnooze(0)
}

// pushOnce reads the object from the Source and pushes it. It returns a
// nil error when pushed (or gone), else what Work returns, and whether the
// outcome is unknown, so that the lease settles.
func (s *Syncer[TTx]) pushOnce(ctx context.Context, def kindDef, obj pushArgs, lease chargedesk.Lease, log *zerolog.Logger) (settle bool, err error) {
	params, err := def.fetch(ctx, s.cfg.Source, obj.ID)
	switch {
	case errors.Is(err, ErrGone):
		log.Info().Msg("sync: the object is gone from the platform; nothing pushed, ChargeDesk's record is left as it is")
		return false, nil
	case errors.Is(err, ErrNotSynced) || errors.Is(err, ErrBadSource):
		log.Error().Str("error", safe.Error(err)).Msg("sync: the Source cannot give this object; kept as failed")
		return false, river.JobCancel(err)
	case err != nil:
		log.Warn().Str("error", safe.Error(err)).Msg("sync: the Source failed; retrying")
		return false, fmt.Errorf("syncer: the Source could not read the %s %s: %w", obj.Object, obj.ID, err)
	}
	if id := def.id(params); *id == "" {
		*id = obj.ID
	} else if *id != obj.ID {
		err := fmt.Errorf("%w: asked for the %s %s, it returned another id", ErrBadSource, obj.Object, obj.ID)
		log.Error().Msg("sync: the Source returned another object than the one asked for; kept as failed")
		return false, river.JobCancel(err)
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	if lost := lease.Lost(); lost != nil {
		// A lost lease means another worker may take the object: stop
		// sending (the outcome is then unknown, and the job retried).
		go func() {
			select {
			case <-lost:
				cancel()
			case <-rctx.Done():
			}
		}()
	}
	start := s.now()
	err = def.push(rctx, s.api, params)
	if err == nil {
		log.Debug().Dur("took", s.now().Sub(start)).Msg("sync: pushed")
		return false, nil
	}
	return s.failed(obj, err, log)
}

// lock takes the object's lock. It returns the lease; or no lease and how
// long to snooze when the object is held (by a push whose outcome is
// unknown, a stalled holder, or a live worker for longer than lockWait);
// or a store error.
func (s *Syncer[TTx]) lock(ctx context.Context, obj pushArgs) (chargedesk.Lease, time.Duration, error) {
	lctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	lease, err := s.cfg.Locker.Lock(lctx, "sync:"+string(obj.Object)+":"+obj.ID, chargedesk.LeaseTerms{
		Hold: s.cfg.JobTimeout + s.cfg.SettleTime, Settle: s.cfg.SettleTime})
	var held *chargedesk.HeldError
	switch {
	case err == nil:
		return lease, 0, nil
	case errors.As(err, &held):
		return nil, max(held.Wait, 100*time.Millisecond), nil
	case lctx.Err() != nil && ctx.Err() == nil:
		return nil, busySnooze, nil
	}
	return nil, 0, fmt.Errorf("syncer: locking the %s %s: %w", obj.Object, obj.ID, err)
}

// endLease releases the lease, or settles it when the push's outcome is
// unknown: a request ChargeDesk may still be applying holds the object for
// SettleTime, so the next push cannot overtake it.
func (s *Syncer[TTx]) endLease(lease chargedesk.Lease, settle bool, log *zerolog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	end := lease.Release
	if settle {
		end = lease.Settle
	}
	if err := end(ctx); err != nil {
		log.Warn().Str("error", safe.Error(err)).Msg("sync: the object's lock could not be ended; it is held until its lease runs out")
	}
}
