package main

import (
	"errors"
	"fmt"
)

// Exit codes: curl's numbers, for the same meanings. An error carries its code from
// where it is understood (exitError); nothing is guessed from words at the top.
const (
	exitOK                  = 0  // success
	exitUnsupportedProtocol = 1  // a URL scheme other than http and https
	exitCanINo              = 1  // kcurl can-i: the answer is no (kubectl auth can-i's 1)
	exitJSONPathFailed      = 1  // --jsonpath: the template fails on the document (kubectl's 1)
	exitFailedInit          = 2  // bad option, missing value, bad command line, conflicting flags
	exitURLMalformed        = 3  // URL (or server address) that cannot be parsed
	exitProxyResolve        = 5  // the proxy's name does not resolve
	exitHostResolve         = 6  // the host's name does not resolve
	exitConnect             = 7  // connection refused or unreachable
	exitWeirdReply          = 8  // a response head curl cannot read (bad Content-Length, NUL)
	exitPartialFile         = 18 // body shorter than its Content-Length, or chunks cut
	exitHTTPError           = 22 // HTTP status >= 400 with -f or --fail-with-body
	exitWriteError          = 23 // stdout or -o cannot be written
	exitUploadFailed        = 25 // a body of unknown length over HTTP/1.0, which has no chunks
	exitReadError           = 26 // a local file (data, upload, token) cannot be read
	exitOutOfMemory         = 27 // a response header over curl's limit
	exitTimeout             = 28 // --max-time, --connect-timeout or --speed-limit reached
	exitRangeError          = 33 // -C -: the server did not resume
	exitTLSConnect          = 35 // the TLS handshake failed
	exitInternal            = 43 // a bug in kcurl (curl's "internal error: bad function argument")
	exitTooManyRedirects    = 47 // more than --max-redirs redirects
	exitSetoptSyntax        = 49 // a --resolve entry curl cannot parse
	exitEmptyReply          = 52 // the server closed without a response
	exitSendError           = 55 // sending the request failed
	exitRecvError           = 56 // receiving the response failed (reset, HTTP/2 stream error)
	exitCertProblem         = 58 // client certificate or key does not load
	exitPeerVerify          = 60 // the server's certificate does not verify
	exitBadContentEncoding  = 61 // a --compressed body that does not decode
	exitFileTooLarge        = 63 // an answer larger than kcurl holds or prints (a Table, a rules review); --max-filesize
	exitSendFailRewind      = 65 // -T - read from a pipe, and a redirect needs it again
	exitLoginDenied         = 67 // -n: the netrc file cannot be read
	exitCipherList          = 59 // --ciphers names no suite kcurl has
	exitCACertProblem       = 77 // a CA file that cannot be read or holds no certificate
	exitPinnedKey           = 90 // --pinnedpubkey does not match the server's key
)

// exitError is an error that knows its exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// ExitCode is the process exit code for the error.
func (e *exitError) ExitCode() int { return e.code }

func exitErrorf(code int, format string, args ...any) *exitError {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// exitCodeOf is err's exit code. Every error kcurl makes carries one; an error that
// reaches the top without one is a bug, and says so with curl's internal-error code.
func exitCodeOf(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitInternal
}

// causedError is a message of kcurl's own that still unwraps to the error behind it.
type causedError struct {
	msg   string
	cause error
}

func (e *causedError) Error() string { return e.msg }
func (e *causedError) Unwrap() error { return e.cause }
