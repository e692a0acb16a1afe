// Package faultproxy is a TCP proxy for fault tests: it forwards
// connections to a target and can cut them (as a restart or a reset
// would), blackhole them (bytes stop flowing, connections stay open, as a
// dropped network link does) and restore them.
package faultproxy

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from Addr to a target.
type Proxy struct {
	// Addr is the address to connect to instead of the target's.
	Addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
	hole  bool          // blackholed: nothing flows
	open  chan struct{} // closed while not blackholed
}

// New starts a proxy to target on a free loopback port; it is stopped when
// the test ends.
func New(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, open: make(chan struct{})}
	close(p.open)
	p.serve(ln)
	t.Cleanup(p.Cut)
	return p
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			go p.pipe(b, c)
			go p.pipe(c, b)
		}
	}()
}

// pipe copies from src to dst, holding the bytes while blackholed.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			open := p.open
			p.mu.Unlock()
			<-open
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				_ = src.Close()
			}
			return
		}
	}
}

// Cut closes every connection and stops accepting new ones.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	if p.hole {
		p.hole = false
		close(p.open)
	}
}

// Blackhole stops every byte in flight and to come, in both directions,
// while connections stay open and new ones are accepted.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.hole {
		p.hole = true
		p.open = make(chan struct{})
	}
}

// Restore lets bytes flow again and, after a Cut, accepts connections at
// the same address.
func (p *Proxy) Restore(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	if p.hole {
		p.hole = false
		close(p.open)
	}
	listening := p.ln != nil
	p.mu.Unlock()
	if listening {
		return
	}
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	p.serve(ln)
}
