package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"kcurl/e2e/harness"
)

// Paths the local server answers, shaped like the API server's.
const (
	objectPath = "/api/v1/namespaces/bench/configmaps/bench"
	listPath   = "/api/v1/namespaces/bench/configmaps"
	bodyPath   = "/bench/body" // ?bytes=N
	watchPath  = "/api/v1/namespaces/bench/configmaps?watch=1"
)

// listSize is the size of the JSON list the server answers on listPath.
const listSize = 10 << 20

// localServer is a Go TLS server on 127.0.0.1 with a CA of its own, checking the bearer token as the API server does.
type localServer struct {
	host, port string
	url        string
	caPEM      []byte
	token      string
	object     []byte
	list       []byte
	srv        *http.Server

	// watch is the session the next watch request serves; one at a time.
	mu    sync.Mutex
	watch *watchSession
}

// startLocalServer makes a CA and a serving certificate for 127.0.0.1 with the e2e harness's PKI (as its API server
// uses), and serves HTTP/2 and HTTP/1.1 on a free loopback port.
func startLocalServer(token string) (*localServer, error) {
	ca, err := harness.NewCA("kcurl bench CA")
	if err != nil {
		return nil, err
	}
	kp, err := ca.Issue("kube-apiserver", nil, []string{"localhost", "kubernetes.default.svc"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	leaf, err := tls.X509KeyPair(kp.CertPEM, kp.KeyPEM)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &localServer{
		caPEM:  ca.CertPEM,
		token:  token,
		object: configMapJSON(0, 600),
		list:   configMapList(listSize),
	}
	s.host, s.port, _ = net.SplitHostPort(l.Addr().String())
	s.url = "https://" + l.Addr().String()
	protos := new(http.Protocols)
	protos.SetHTTP1(true)
	protos.SetHTTP2(true)
	s.srv = &http.Server{
		Handler:   s,
		Protocols: protos,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{leaf},
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go s.srv.ServeTLS(l, "", "")
	return s, nil
}

func (s *localServer) close() { s.srv.Close() }

// ServeHTTP answers like the API server: 401 without the token, JSON objects and lists, a streamed body, a watch.
func (s *localServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`+"\n")
		return
	}
	h := w.Header()
	h.Set("Audit-Id", "5d8e2a9c-1b7f-4c3e-9a6d-2f0e8b1c4d7a")
	h.Set("Cache-Control", "no-cache, private")
	h.Set("X-Kubernetes-Pf-Flowschema-Uid", "e7f0c1a2-3b4d-4e5f-8a9b-0c1d2e3f4a5b")
	h.Set("X-Kubernetes-Pf-Prioritylevel-Uid", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")
	switch {
	case r.URL.Path == bodyPath:
		s.serveBody(w, r)
	case r.URL.Path == listPath && r.URL.Query().Get("watch") != "":
		s.serveWatch(w, r)
	case r.URL.Path == listPath:
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(s.list)))
		w.Write(s.list)
	case r.URL.Path == objectPath:
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(s.object)))
		w.Write(s.object)
	default:
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"not found","reason":"NotFound","code":404}`+"\n")
	}
}

// bodyChunk is what the streamed body repeats: the server never holds more than this.
var bodyChunk = func() []byte {
	b := make([]byte, 256<<10)
	for i := range b {
		b[i] = "0123456789abcdef"[i%16]
	}
	return b
}()

// serveBody streams ?bytes=N bytes from one fixed chunk, with a Content-Length.
func (s *localServer) serveBody(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.URL.Query().Get("bytes"), 10, 64)
	if err != nil || n < 0 {
		http.Error(w, "bad bytes", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	for n > 0 {
		c := bodyChunk
		if int64(len(c)) > n {
			c = c[:n]
		}
		if _, err := w.Write(c); err != nil {
			return
		}
		n -= int64(len(c))
	}
}

// configMapJSON is one ConfigMap of about size bytes, numbered i.
func configMapJSON(i, size int) []byte {
	head := fmt.Sprintf(`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"bench-%06d","namespace":"bench","uid":"0b6b4e5c-8a77-4c3b-9f7e-%012d","resourceVersion":"%d","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"bench","tier":"backend"}},"data":{"value":"`, i, i, 1000+i)
	tail := `"}}`
	pad := max(size-len(head)-len(tail), 0)
	return []byte(head + string(bytes.Repeat([]byte("x"), pad)) + tail)
}

// configMapList is a ConfigMapList of about size bytes, compact as the API server sends it.
func configMapList(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"99999"},"items":[`)
	for i := 0; b.Len() < size-2048; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(configMapJSON(i, 1024))
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// watchSession is one watch measured in ping-pong: the server writes event i and flushes, the reader of the
// client's stdout sees line i and acknowledges, and only then is event i+1 written, so each latency is one
// flush-to-stdout path with no queue in front of it.
type watchSession struct {
	events int
	acks   chan int
	// done is closed when the handler has written its last event (or given up).
	done chan struct{}
	err  error
}

func newWatchSession(events int) *watchSession {
	return &watchSession{events: events, acks: make(chan int, 1), done: make(chan struct{})}
}

// watchEventTimeout is how long the server waits for an acknowledgement before ending the watch.
const watchEventTimeout = 5 * time.Second

func (s *localServer) serveWatch(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ws := s.watch
	s.watch = nil
	s.mu.Unlock()
	if ws == nil {
		http.Error(w, "no watch session armed", http.StatusConflict)
		return
	}
	defer close(ws.done)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		ws.err = err
		return
	}
	bw := bufio.NewWriterSize(w, 4096)
	for i := 0; i < ws.events; i++ {
		// The timestamp is taken last, so the latency is the flush and the client alone.
		fmt.Fprintf(bw, `{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"bench-%06d","namespace":"bench","resourceVersion":"%d"},"data":{"seq":"%d","sent":"%d"}}}`+"\n", i, 1000+i, i, time.Now().UnixNano())
		bw.Flush()
		if err := rc.Flush(); err != nil {
			ws.err = err
			return
		}
		select {
		case got := <-ws.acks:
			if got != i {
				ws.err = fmt.Errorf("watch: acknowledged event %d, expected %d", got, i)
				return
			}
		case <-r.Context().Done():
			ws.err = r.Context().Err()
			return
		case <-time.After(watchEventTimeout):
			ws.err = fmt.Errorf("watch: event %d not seen on stdout within %s", i, watchEventTimeout)
			return
		}
	}
}

// armWatch makes the next watch request serve ws.
func (s *localServer) armWatch(ws *watchSession) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watch != nil {
		return errors.New("a watch session is already armed")
	}
	s.watch = ws
	return nil
}
