package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// MaxFailedList is the most failed pushes Failed returns at once.
const MaxFailedList = 10_000

// ErrNotFailed is Retry's error for a job id that is not a failed push
// (unknown, deleted after FailedRetention, still pending, or another kind
// of job).
var ErrNotFailed = errors.New("syncer: no failed push with this job id")

// Failure is a push kept as failed: ChargeDesk refused it (state
// "cancelled"), or it failed MaxAttempts times (state "discarded"). It is
// kept for Config.FailedRetention after it failed.
type Failure struct {
	// JobID is the push's id, for Retry.
	JobID int64 `json:"job_id"`
	// Object and ID name the object.
	Object Kind   `json:"object"`
	ID     string `json:"id"`
	// State is "cancelled" (refused: fix the cause, then retry) or
	// "discarded" (gave up after MaxAttempts failures).
	State string `json:"state"`
	// Attempts is how many times it was tried.
	Attempts int `json:"attempts"`
	// FailedAt is when it was kept as failed.
	FailedAt time.Time `json:"failed_at"`
	// Error is its last error: the status and parameter ChargeDesk named,
	// or the failure that exhausted its attempts.
	Error string `json:"error"`
}

// Failed lists up to limit failed pushes, oldest first. A limit outside 1
// to MaxFailedList is an error. An object pushed successfully since it
// failed is still listed until it is retried or its retention ends;
// retrying it pushes its current state again, which is harmless.
func (s *Syncer[TTx]) Failed(ctx context.Context, limit int) ([]Failure, error) {
	if limit < 1 || limit > MaxFailedList {
		return nil, fmt.Errorf("syncer: the limit %d is outside 1 to %d", limit, MaxFailedList)
	}
	res, err := s.river.JobList(ctx, river.NewJobListParams().Kinds(pushKind).
		States(rivertype.JobStateCancelled, rivertype.JobStateDiscarded).First(limit))
	if err != nil {
		return nil, fmt.Errorf("syncer: listing failed pushes: %w", err)
	}
	out := make([]Failure, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		var args pushArgs
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			return nil, fmt.Errorf("syncer: job %d does not decode: %w", j.ID, err)
		}
		f := Failure{JobID: j.ID, Object: args.Object, ID: args.ID, State: string(j.State), Attempts: j.Attempt}
		if j.FinalizedAt != nil {
			f.FailedAt = *j.FinalizedAt
		}
		if n := len(j.Errors); n > 0 {
			f.Error = j.Errors[n-1].Error
		}
		out = append(out, f)
	}
	return out, nil
}

// Retry pushes a failed push's object again: in one transaction it marks
// the object (a new job, which sends the object's state as the Source
// returns it then) and deletes the failed job. It returns the new job's id
// (an existing one's, when a push of the object already waits). Fix the
// cause first, or it fails again. A job id that is not a failed push is
// ErrNotFailed.
func (s *Syncer[TTx]) Retry(ctx context.Context, jobID int64) (int64, error) {
	j, err := s.river.JobGet(ctx, jobID)
	if errors.Is(err, river.ErrNotFound) {
		return 0, fmt.Errorf("%w: %d", ErrNotFailed, jobID)
	}
	if err != nil {
		return 0, fmt.Errorf("syncer: reading job %d: %w", jobID, err)
	}
	if j.Kind != pushKind || (j.State != rivertype.JobStateCancelled && j.State != rivertype.JobStateDiscarded) {
		return 0, fmt.Errorf("%w: job %d is a %s job in state %s", ErrNotFailed, jobID, j.Kind, j.State)
	}
	var args pushArgs
	if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
		return 0, fmt.Errorf("syncer: job %d does not decode: %w", jobID, err)
	}
	if err := checkObject(args.Object, args.ID); err != nil {
		return 0, fmt.Errorf("syncer: job %d: %w", jobID, err)
	}
	var newID int64
	err = s.db.inTx(ctx, func(tx TTx) error {
		if err := s.db.bump(ctx, tx, args.Object, args.ID); err != nil {
			return err
		}
		res, err := s.river.InsertTx(ctx, tx, args, s.insertOpts())
		if err != nil {
			return err
		}
		newID = res.Job.ID
		_, err = s.river.JobDeleteTx(ctx, tx, jobID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("syncer: retrying job %d: %w", jobID, err)
	}
	s.log.Info().Str("object", string(args.Object)).Str("id", args.ID).Int64("failed_job_id", jobID).
		Int64("job_id", newID).Msg("sync: a failed push is retried")
	return newID, nil
}
