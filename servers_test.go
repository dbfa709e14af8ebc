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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
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

// faultServer accepts TCP connections on loopback and hands each to f, one of the
// faults below or a test's own.
func faultServer(t *testing.T, f func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); f(c) }()
		}
	}()
	return l.Addr().String()
}

// tlsFaultServer is faultServer behind a TLS handshake with a certificate from p
// for 127.0.0.1, HTTP/1.1 only.
func tlsFaultServer(t *testing.T, p *testPKI, f func(net.Conn)) string {
	t.Helper()
	cert, _, _ := p.issue(t, certOptions{names: []string{"127.0.0.1"}})
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	return faultServer(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		defer tc.Close()
		if tc.Handshake() != nil {
			return
		}
		f(tc)
	})
}

// readRequest reads one request's head from c.
func readRequest(c net.Conn) {
	http.ReadRequest(bufio.NewReader(c))
}

// stallFor is how long a stalling fault waits: longer than any -m or
// --connect-timeout a test gives, shorter than a test's patience.
const stallFor = 3 * time.Second

// The faults a faultServer plays, each named for what the client sees; the comment
// gives curl's exit code for it.

// emptyReply reads the request and closes without a byte: 52.
func emptyReply(c net.Conn) { readRequest(c) }

// shortBody promises 10 bytes and closes after 5, "short": 18.
func shortBody(c net.Conn) {
	readRequest(c)
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
}

// chunkedBodyCut sends one chunk, "hello", and closes without the last chunk: 18.
func chunkedBodyCut(c net.Conn) {
	readRequest(c)
	io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
}

// resetInBody sends the head and "partial" of 100000 bytes, then resets the
// connection: 56.
func resetInBody(c net.Conn) {
	readRequest(c)
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial")
	time.Sleep(50 * time.Millisecond)
	c.(*net.TCPConn).SetLinger(0)
}

// resetOnRequest resets the connection once the request's head is read, while a
// large body is still being sent: 55.
func resetOnRequest(c net.Conn) {
	readRequest(c)
	c.(*net.TCPConn).SetLinger(0)
}

// plainHTTPPort answers a TLS ClientHello in plain HTTP: 35.
func plainHTTPPort(c net.Conn) { io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n") }

// redirectLoop sends every request to /again: 47 once --max-redirs is spent.
func redirectLoop(c net.Conn) {
	readRequest(c)
	io.WriteString(c, "HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")
}

// silent accepts and says nothing, not even a TLS handshake: 28 with
// --connect-timeout.
func silent(net.Conn) { time.Sleep(stallFor) }

// stallBeforeHead reads the request and sends nothing: 28 with -m.
func stallBeforeHead(c net.Conn) {
	readRequest(c)
	time.Sleep(stallFor)
}

// stallInBody sends the head and 5 of 10 bytes, "hello", then waits: 28 with -m.
func stallInBody(c net.Conn) {
	readRequest(c)
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello")
	time.Sleep(stallFor)
}

// stallInChunkedBody sends one chunk, "hello", then waits: 28 with -m.
func stallInChunkedBody(c net.Conn) {
	chunkedBodyCut(c)
	time.Sleep(stallFor)
}

// hangingListener is a loopback port whose accept queue is full and never drained:
// a new connection to it waits for the SYN's answer until the client gives up.
func hangingListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Skipf("raw socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Skipf("bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Skipf("listen: %v", err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	// Fill the queue: once a dial times out, the next one will too.
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("cannot make a connect hang on loopback here (the backlog never filled)")
	return ""
}

// closedPort is a loopback address nothing listens on: a DNS lookup sent there fails
// at once, so no test ever asks a real resolver.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
