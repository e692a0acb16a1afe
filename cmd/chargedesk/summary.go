package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/chargedesk/chargedesk-go/api"
	"github.com/chargedesk/chargedesk-go/cmd/internal/cli"
)

// printSummary writes an import's summary for a person.
func printSummary(w io.Writer, s *api.Summary, dryRun bool, colors cli.Palette) {
	var parts []string
	if dryRun {
		parts = append(parts, fmt.Sprintf("%d valid", s.Valid))
	} else {
		parts = append(parts, fmt.Sprintf("%d upserted", s.Upserted))
	}
	failed := fmt.Sprintf("%d failed", s.Failed)
	if s.Failed > 0 {
		failed = colors.Red(failed)
	}
	parts = append(parts, failed)
	verb := "imported"
	if dryRun {
		verb = "checked (dry run, nothing sent)"
	}
	fmt.Fprintf(w, "%s %d records in %s (%.0f/s): %s\n", verb, s.Done, s.Elapsed.Round(time.Millisecond), perSecond(s), strings.Join(parts, ", "))
	for _, f := range s.Failures {
		fmt.Fprintln(w, "  failed:", f.Error())
	}
	if more := s.Failed - len(s.Failures); more > 0 {
		fmt.Fprintf(w, "  ... and %d more failures\n", more)
	}
}

func perSecond(s *api.Summary) float64 {
	if secs := s.Elapsed.Seconds(); secs > 0 {
		return float64(s.Done) / secs
	}
	return 0
}

// jsonSummary is import's summary with --json.
type jsonSummary struct {
	DryRun           bool          `json:"dry_run"`
	Records          int           `json:"records"`
	Upserted         int           `json:"upserted"`
	Valid            int           `json:"valid"`
	Failed           int           `json:"failed"`
	ElapsedSeconds   float64       `json:"elapsed_seconds"`
	RecordsPerSecond float64       `json:"records_per_second"`
	ResumeLine       int           `json:"resume_line"`
	Interrupted      bool          `json:"interrupted"`
	Stopped          *jsonStop     `json:"stopped"`
	ReadError        string        `json:"read_error,omitempty"`
	Failures         []jsonFailure `json:"failures"`
	FailuresNotShown int           `json:"failures_not_shown"`
	InFlight         int           `json:"in_flight"`
	Pace             float64       `json:"pace"`
}

// jsonStop is why an import stopped early: reason is auth, not_found,
// redirect, unreachable or max_failures.
type jsonStop struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

type jsonFailure struct {
	Line   int    `json:"line"`
	Object string `json:"object,omitempty"`
	ID     string `json:"id,omitempty"`
	Error  string `json:"error"`
}

// printJSONSummary writes the summary as one JSON object.
func printJSONSummary(w io.Writer, s *api.Summary, dryRun bool, readErr error) error {
	out := jsonSummary{
		DryRun: dryRun, Records: s.Done, Upserted: s.Upserted, Valid: s.Valid, Failed: s.Failed,
		ElapsedSeconds: s.Elapsed.Seconds(), RecordsPerSecond: perSecond(s), ResumeLine: s.ResumeLine,
		Interrupted: s.Interrupted, Failures: []jsonFailure{}, FailuresNotShown: s.Failed - len(s.Failures),
		InFlight: s.InFlight, Pace: s.Pace,
	}
	if readErr != nil {
		out.ReadError = readErr.Error()
	}
	for _, f := range s.Failures {
		out.Failures = append(out.Failures, jsonFailure{Line: f.Line, Object: f.Object, ID: f.ID, Error: f.Err.Error()})
	}
	var stop *api.StopError
	switch {
	case errors.As(s.Stopped, &stop):
		reason := map[api.StopKind]string{api.StopAuth: "auth", api.StopNotFound: "not_found",
			api.StopRedirect: "redirect", api.StopUnreachable: "unreachable"}[stop.Kind]
		out.Stopped = &jsonStop{Reason: reason, Message: stop.Error()}
	case s.Stopped != nil:
		out.Stopped = &jsonStop{Reason: "max_failures", Message: s.Stopped.Error()}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
