package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logWriter buffers what is written to it and writes it out every
// flushEvery, or when its buffer fills, rather than making one system call
// per log line: at thousands of webhooks a second the calls cost more than
// the lines (docs/performance.md). Close writes out what is left. A crash
// loses at most flushEvery of lines.
type logWriter struct {
	mu     sync.Mutex
	out    io.Writer
	buf    *bufio.Writer
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

const (
	flushEvery    = 100 * time.Millisecond
	logBufferSize = 64 << 10
)

func newLogWriter(w io.Writer) *logWriter {
	l := &logWriter{out: w, buf: bufio.NewWriterSize(w, logBufferSize), stop: make(chan struct{}), done: make(chan struct{})}
	go l.flushLoop()
	return l
}

// Write buffers p, a whole log line: zerolog writes each line in one call,
// so lines are never interleaved.
func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.out.Write(p)
	}
	return l.buf.Write(p)
}

func (l *logWriter) flushLoop() {
	defer close(l.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.flush()
		case <-l.stop:
			l.flush()
			return
		}
	}
}

func (l *logWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.buf.Flush() // stderr: there is nowhere to report its failure
}

// Close writes out what is buffered and stops the flushing; later lines
// are written at once.
func (l *logWriter) Close() error {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return nil
}
