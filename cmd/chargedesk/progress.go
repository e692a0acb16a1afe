package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/chargedesk/chargedesk-go/api"
)

// progressView shows an import's progress: a bar redrawn in place on a
// terminal, or a plain line every few seconds.
type progressView struct {
	w     io.Writer
	mode  string
	size  int64
	bytes func() int64

	mu   sync.Mutex
	last api.Progress
}

func newProgressView(w io.Writer, mode string, size int64, bytes func() int64) *progressView {
	return &progressView{w: w, mode: mode, size: size, bytes: bytes}
}

func (v *progressView) update(p api.Progress) {
	v.mu.Lock()
	v.last = p
	v.mu.Unlock()
}

// start draws until the returned function is called, which draws once more.
func (v *progressView) start() (stop func()) {
	if v.mode == "none" {
		return func() {}
	}
	every := 5 * time.Second
	if v.mode == "bar" {
		every = 200 * time.Millisecond
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				v.draw(false)
			case <-done:
				v.draw(true)
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (v *progressView) draw(final bool) {
	v.mu.Lock()
	p := v.last
	v.mu.Unlock()
	pct := -1.0
	if v.size > 0 {
		pct = min(100, 100*float64(v.bytes())/float64(v.size))
	}
	rate := 0.0
	if secs := p.Elapsed.Seconds(); secs > 0 {
		rate = float64(p.Done) / secs
	}
	counts := fmt.Sprintf("%d records, %.0f/s, %d failed, %d in flight", p.Done, rate, p.Failed, p.InFlight)
	if v.mode == "lines" {
		if pct >= 0 {
			fmt.Fprintf(v.w, "progress: %.0f%%, %s\n", pct, counts)
		} else {
			fmt.Fprintf(v.w, "progress: %s\n", counts)
		}
		return
	}
	const width = 30
	bar := strings.Repeat(" ", width)
	label := "   "
	if pct >= 0 {
		filled := int(pct / 100 * width)
		bar = strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
		label = fmt.Sprintf("%3.0f%%", pct)
	}
	fmt.Fprintf(v.w, "\r[%s] %s %s\033[K", bar, label, counts)
	if final {
		fmt.Fprintln(v.w)
	}
}
