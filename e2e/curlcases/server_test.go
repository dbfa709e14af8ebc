package curlcases

import (
	"bytes"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// caseServer plays curl's test HTTP server (tests/server/sws.c) for one run of one case: it
// records every request byte for byte, in the order they complete (sws's log/server.input), and
// answers each with a <reply> part sent verbatim, so that what a client does with odd bytes
// (bare LF, header case, bad lengths) is what gets tested. Only the sws behaviours the selected
// cases use are here; a case needing more fails with curl too and is left out (runnerCannot).
type caseServer struct {
	ln  net.Listener
	c   *caseFile // preprocessed with this server's port
	cmd serverCmd

	mu    sync.Mutex
	input bytes.Buffer // every request received, as sws's server.input
	// sws's swsbounce: the next request for the same test and part gets the next part.
	bounce                 bool
	bounceTest, bouncePart int
	conns                  map[net.Conn]bool

	wg   sync.WaitGroup
	quit chan struct{} // closed by stop: ends the waits a case asks for (postcmd, writedelay)
}

// serverCmd is the case's <reply><servercmd>.
type serverCmd struct {
	authRequired bool // answer without waiting for a body when no Authorization came
	idle         bool // never answer
	stream       bool // send data forever
	close        bool // close the connection after each answer
	noExpect     bool // read no body after Expect: 100-continue
	connMonitor  bool // log "[DISCONNECT]" when a connection that carried a request ends
	skip         int  // leave this many body bytes unread
	writeDelay   time.Duration
}

func parseServerCmd(lines []string) serverCmd {
	var sc serverCmd
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "auth_required"):
			sc.authRequired = true
		case strings.HasPrefix(l, "idle"):
			sc.idle = true
		case strings.HasPrefix(l, "stream"):
			sc.stream = true
		case strings.HasPrefix(l, "swsclose"):
			sc.close = true
		case strings.HasPrefix(l, "connection-monitor"):
			sc.connMonitor = true
		case strings.HasPrefix(l, "no-expect"):
			sc.noExpect = true
		case strings.HasPrefix(l, "skip:"):
			sc.skip, _ = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(l, "skip:")))
		case strings.HasPrefix(l, "writedelay:"):
			ms, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(l, "writedelay:")))
			sc.writeDelay = time.Duration(ms) * time.Millisecond
		}
	}
	return sc
}

// listenCase opens the loopback listener first, because the port is part of the case's text.
func listenCase() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// serve answers connections on ln with the preprocessed case c until stop.
func serve(ln net.Listener, c *caseFile) *caseServer {
	s := &caseServer{ln: ln, c: c, cmd: parseServerCmd(c.part("reply", "servercmd")), conns: map[net.Conn]bool{}, quit: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[conn] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.handle(conn)
				conn.Close()
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
			}()
		}
	}()
	return s
}

// stop waits a little for connections the client left to end on their own (so that a request
// cut short is still recorded, as sws records it), then closes everything.
func (s *caseServer) stop() []byte {
	s.ln.Close()
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(s.quit)
	s.mu.Lock()
	for conn := range s.conns {
		conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.input.Bytes()...)
}

func (s *caseServer) record(b []byte) {
	s.mu.Lock()
	s.input.Write(b)
	s.mu.Unlock()
}

// request is what sws learns from one request.
type request struct {
	test, part int
	connect    bool
}

// handle serves one connection: read a request as sws decides it is complete, record it, answer.
func (s *caseServer) handle(conn net.Conn) {
	served := false
	defer func() {
		if served && s.cmd.connMonitor {
			s.record([]byte("[DISCONNECT]\n"))
		}
	}()
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 65536)
	for {
		var req request
		done := false
		for !done {
			n, err := conn.Read(tmp)
			buf = append(buf, tmp[:n]...)
			if err != nil {
				if len(buf) > 0 {
					s.record(buf)
				}
				return
			}
			req, done = s.complete(buf)
		}
		if s.cmd.skip > 0 {
			// sws reads no more of the body than it was told to; the rest is never logged.
			buf = buf[:min(len(buf), s.requestSize(buf))]
		}
		s.record(buf)
		served = true
		buf = buf[:0]
		if !s.answer(conn, req) {
			return
		}
	}
}

var (
	endOfHeaders   = []byte("\r\n\r\n")
	contentLenRE   = regexp.MustCompile(`(?im)^Content-Length:\s*(\d+)\s`)
	chunkedRE      = regexp.MustCompile(`(?im)^Transfer-Encoding: chunked`)
	expectRE       = regexp.MustCompile(`(?im)^Expect: 100-continue`)
	lastSlashNumRE = regexp.MustCompile(`^\s*[+-]?\d+`)
)

// complete says whether buf holds a whole request by sws's rules (headers up to CRLFCRLF, then
// Content-Length bytes or chunks up to the last one), and which test part it asks for.
func (s *caseServer) complete(buf []byte) (request, bool) {
	end := bytes.Index(buf, endOfHeaders)
	if end < 0 {
		return request{}, false
	}
	head := string(buf[:end+2])
	req := s.route(head)
	body := buf[end+4:]
	if chunkedRE.MatchString(head) {
		if bytes.Contains(buf, []byte("\r\n0\r\n\r\n")) {
			return req, true
		}
		if i := bytes.Index(buf, []byte("\r\n0\r\n")); i >= 0 {
			return req, bytes.Contains(buf[i+5:], endOfHeaders)
		}
		return req, false
	}
	cl := 0
	if m := contentLenRE.FindStringSubmatch(head); m != nil {
		cl, _ = strconv.Atoi(m[1])
		cl -= s.cmd.skip
	}
	if s.cmd.noExpect && expectRE.MatchString(head) {
		cl = 0
	}
	if s.cmd.authRequired && !strings.Contains(string(buf), "Authorization:") {
		return req, true
	}
	return req, len(body) >= cl
}

// requestSize is the head plus the body bytes sws reads: Content-Length less the skip.
func (s *caseServer) requestSize(buf []byte) int {
	end := bytes.Index(buf, endOfHeaders)
	cl := 0
	if m := contentLenRE.FindSubmatch(buf[:end+2]); m != nil {
		cl, _ = strconv.Atoi(string(m[1]))
	}
	return end + 4 + max(0, cl-s.cmd.skip)
}

// route finds the test and part from the last number of the path, as sws does: /1234 is the
// case's <data>, /12340002 its <data2>; Digest and Basic retries move the part as sws moves it.
func (s *caseServer) route(head string) request {
	req := request{test: s.c.num}
	line := head[:strings.IndexByte(head, '\n')]
	fields := strings.Fields(line)
	if len(fields) >= 2 {
		req.connect = fields[0] == "CONNECT"
		path := fields[1]
		if i := strings.LastIndexByte(path, '/'); i >= 0 && !req.connect {
			if m := lastSlashNumRE.FindString(path[i+1:]); m != "" {
				n, _ := strconv.Atoi(strings.TrimSpace(m))
				if n > 10000 {
					req.test, req.part = n/10000, n%10000
				} else if n > 0 {
					req.test = n
				}
			}
		}
	}
	switch {
	case strings.Contains(head, "Authorization: Digest"):
		req.part += 1000
	case req.part >= 1000 && strings.Contains(head, "Authorization: Basic"):
		req.part++
	}
	return req
}

// doc404 is sws's answer when the path names another case than the one running.
const doc404 = "HTTP/1.1 404 Not Found\r\nServer: curl test suite HTTP server/0.1\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n" +
	"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<HTML><HEAD>\n<TITLE>404 Not Found</TITLE>\n</HEAD><BODY>\n<H1>Not Found</H1>\nThe requested URL was not found on this server.\n<P><HR><ADDRESS>curl test suite HTTP server/0.1</ADDRESS>\n</BODY></HTML>\n"

// answer sends the reply part for req; it returns whether the connection stays open.
func (s *caseServer) answer(conn net.Conn, req request) bool {
	switch {
	case s.cmd.idle:
		// Keep the connection until the client gives up, reading nothing more into the log.
		io := make([]byte, 4096)
		for {
			if _, err := conn.Read(io); err != nil {
				return false
			}
		}
	case s.cmd.stream:
		for {
			if _, err := conn.Write([]byte("a string to stream 01234567890\n")); err != nil {
				return false
			}
		}
	}
	var reply []byte
	if req.test != s.c.num {
		reply = []byte(doc404)
	} else {
		s.mu.Lock()
		if s.bounce && s.bounceTest == req.test && s.bouncePart == req.part {
			req.part++
		} else {
			s.bounce = false
		}
		s.mu.Unlock()
		name := "data"
		if req.connect {
			name = "connect"
		}
		if req.part != 0 {
			name += strconv.Itoa(req.part)
		}
		reply = s.c.serverPart(name)
	}
	persistent := !(bytes.Contains(reply, []byte("swsclose")) || len(reply) == 0 || s.cmd.close || req.test != s.c.num)
	s.mu.Lock()
	s.bounce = bytes.Contains(reply, []byte("swsbounce"))
	s.bounceTest, s.bouncePart = req.test, req.part
	s.mu.Unlock()
	if s.cmd.writeDelay > 0 {
		// sws writes at most 20 bytes at a time; the delay between them is what a case asks for.
		for len(reply) > 0 {
			n := min(20, len(reply))
			if _, err := conn.Write(reply[:n]); err != nil {
				return false
			}
			reply = reply[n:]
			if !s.sleep(s.cmd.writeDelay) {
				return false
			}
		}
	} else if _, err := conn.Write(reply); err != nil {
		return false
	}
	for _, l := range s.c.part("reply", "postcmd") {
		var secs int
		if f := strings.Fields(l); len(f) == 2 && f[0] == "wait" {
			secs, _ = strconv.Atoi(f[1])
			if !s.sleep(time.Duration(secs) * time.Second) {
				return false
			}
		}
	}
	return persistent
}

// sleep waits d unless the run ends first; it says whether the whole wait happened.
func (s *caseServer) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.quit:
		return false
	}
}
