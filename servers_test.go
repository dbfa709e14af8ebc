package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// This file holds the test servers the package's tests share: servers that keep the
// raw bytes they were sent, and proxies.

// discardLog silences a test server's log of the handshake failures tests provoke.
var discardLog = log.New(io.Discard, "", 0)

// tapListener keeps every byte its connections read, before any TLS: what a server,
// or anyone on the wire, could see of a request.
type tapListener struct {
	net.Listener
	mu  sync.Mutex
	raw bytes.Buffer
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tapConn{Conn: c, l: l}, nil
}

func (l *tapListener) bytes() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}

func (l *tapListener) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.raw.Reset()
}

type tapConn struct {
	net.Conn
	l *tapListener
}

func (c *tapConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.l.mu.Lock()
	c.l.raw.Write(b[:n])
	c.l.mu.Unlock()
	return n, err
}

// tappedServer is a recording server on listen whose raw bytes are kept; with cert it
// speaks TLS (HTTP/2 on), without it plain HTTP.
func tappedServer(t *testing.T, listen string, cert *tls.Certificate, h http.Handler) (*httptest.Server, *tapListener) {
	t.Helper()
	l, err := net.Listen("tcp", listen)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", listen, err)
	}
	tap := &tapListener{Listener: l}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = tap
	srv.Config.ErrorLog = discardLog
	if cert == nil {
		srv.Start()
	} else {
		srv.EnableHTTP2 = true
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
		srv.StartTLS()
	}
	t.Cleanup(srv.Close)
	return srv, tap
}

// connectProxy is an HTTPS_PROXY on loopback that tunnels CONNECT to the address asked
// for (loopback only: any other target is refused) and keeps every byte the client
// sent it, before any TLS: the CONNECT request as written and all that went through
// the tunnel. It counts the tunnels it opened.
type connectProxy struct {
	url     string
	tap     *tapListener
	tunnels atomic.Int32
}

func newConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{url: "http://" + l.Addr().String(), tap: &tapListener{Listener: l}}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := p.tap.Accept()
			if err != nil {
				return
			}
			go p.tunnel(c)
		}
	}()
	return p
}

// tunnel serves one CONNECT on c and copies both ways until either side closes.
func (p *connectProxy) tunnel(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect || !strings.HasPrefix(req.Host, "127.") {
		return
	}
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		return
	}
	defer up.Close()
	p.tunnels.Add(1)
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() { io.Copy(c, up); c.Close() }()
	io.Copy(up, br)
}

// seen is every byte the clients sent the proxy since it started or was last reset.
func (p *connectProxy) seen() string { return p.tap.bytes() }

// reset forgets what the proxy saw and the tunnels it counted.
func (p *connectProxy) reset() {
	p.tap.reset()
	p.tunnels.Store(0)
}

// recordingHTTPProxy is an http_proxy that answers every request itself and keeps
// what it was sent.
func recordingHTTPProxy(t *testing.T) (string, func() string) {
	t.Helper()
	var mu sync.Mutex
	var seen strings.Builder
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		r.Write(&seen)
		mu.Unlock()
		io.WriteString(w, "proxied")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() string { mu.Lock(); defer mu.Unlock(); return seen.String() }
}
