package main

// The curl options that shape a request beyond its method, headers and body: where
// the output goes (-o, -O, --output-dir, --create-dirs, -C), the headers made from
// options (-u, -e, -r, -z, --etag-compare), the URL's query and path (--url-query,
// --path-as-is), and which protocols may be used (--proto, --proto-redir).

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// outputOf is the output that goes with the i-th URL: its -o or -O, or --remote-name-all's.
func outputOf(f requestFlags, i int) outputSpec {
	switch {
	case i < len(f.outputs):
		return f.outputs[i]
	case f.remoteNameAll:
		return outputSpec{remote: true}
	}
	return outputSpec{}
}

// setOutput decides transfer i's output: its -o or -O (in command-line order), else
// --remote-name-all's remote name, else stdout; -C - resumes from the file's size.
func (t *transfer) setOutput(f requestFlags, i int, globValues []string) error {
	spec := outputOf(f, i)
	if spec.remote {
		name := pathAsGiven(t.url)
		name = name[strings.LastIndexByte(name, '/')+1:]
		if name == "" {
			// curl 7.88's words: the name is empty. Its tool finds out when the transfer's turn comes.
			return transferRefusal{exitErrorf(exitWriteError, "Failed writing received data to disk/application")}
		}
		spec.file = name
	}
	spec.file = globOutput(spec.file, globValues)
	if spec.file != "" && spec.file != "-" && f.outputDir != "" && !filepath.IsAbs(spec.file) {
		spec.file = filepath.Join(f.outputDir, spec.file)
	}
	t.outFile, t.createDirs = spec.file, f.createDirs
	switch {
	case f.continueAt == "":
	case f.continueAt == "-":
		if fi, err := os.Stat(t.outFile); err == nil && t.outFile != "" {
			t.resumeFrom = fi.Size()
		}
	default:
		n, err := strconv.ParseInt(f.continueAt, 10, 64)
		if err != nil || n < 0 {
			return exitErrorf(exitFailedInit, "option --continue-at: expected a proper numerical parameter")
		}
		t.resumeFrom = n
	}
	t.appendOutput = t.resumeFrom > 0
	return nil
}

// optionHeaders are the headers curl makes from options: Authorization from -u,
// Referer from -e, Range from -r, If-(Un)Modified-Since from -z, If-None-Match from
// --etag-compare. They stand where curl puts them (headerRank).
func optionHeaders(f requestFlags) ([]headerArg, error) {
	var hs []headerArg
	if f.user != "" {
		userinfo := f.user
		if !strings.Contains(userinfo, ":") {
			userinfo += ":" // curl would ask for the password on a terminal; a pod has none
		}
		hs = append(hs, headerArg{name: "Authorization", value: basicAuth(userinfo), shown: "Basic " + redactedToken, builtin: true})
	}
	if f.byteRange != "" {
		hs = append(hs, headerArg{name: "Range", value: "bytes=" + f.byteRange, builtin: true})
	}
	if ref, _, _ := strings.Cut(f.referer, ";auto"); ref != "" {
		hs = append(hs, headerArg{name: "Referer", value: ref, builtin: true})
	}
	if f.timeCond != "" {
		h, err := timeCondition(f.timeCond)
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	if f.etagCompare != "" {
		b, err := readArgFile(f.etagCompare, nil, maxArgFileSize)
		if err != nil {
			return nil, err
		}
		if etag := strings.TrimSpace(string(b)); etag != "" {
			hs = append(hs, headerArg{name: "If-None-Match", value: etag})
		}
	}
	return hs, nil
}

// timeCondition is -z: a date, or a file's modification time; a leading - asks for
// older (If-Unmodified-Since).
func timeCondition(arg string) (headerArg, error) {
	name := "If-Modified-Since"
	if rest, ok := strings.CutPrefix(arg, "-"); ok {
		name, arg = "If-Unmodified-Since", rest
	}
	var when time.Time
	if fi, err := os.Stat(arg); err == nil {
		when = fi.ModTime()
	} else if t, err := parseCurlDate(arg); err == nil {
		when = t
	} else {
		return headerArg{}, exitErrorf(exitFailedInit, "Illegal date format for -z, --time-cond (and not a file name). Disabling time condition. See curl_getdate(3) for valid date syntax.")
	}
	return headerArg{name: name, value: when.UTC().Format(http.TimeFormat), builtin: true}, nil
}

// parseCurlDate reads the date formats curl_getdate takes most often.
func parseCurlDate(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{http.TimeFormat, time.RFC1123Z, time.RFC850, time.ANSIC, "2006-01-02", "2006-01-02 15:04:05", "20060102", "20060102 15:04:05", "2 Jan 2006", "2 Jan 2006 15:04:05"} {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// applyURLOptions adds --url-query parts to u and, unless --path-as-is, removes the
// dot segments from its path as curl does.
func applyURLOptions(u *url.URL, f requestFlags, stdin interface{ Read([]byte) (int, error) }) error {
	for _, q := range f.urlQuery {
		part := strings.TrimPrefix(q, "+")
		if !strings.HasPrefix(q, "+") {
			enc, err := urlEncodeData(q, stdin)
			if err != nil {
				return err
			}
			part = lowerHexEscapes(enc) // curl 7.88 writes %2f, not %2F, here
		}
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += part
	}
	if !f.pathAsIs {
		squashDotSegments(u)
	}
	return nil
}

// lowerHexEscapes turns %2F into %2f.
func lowerHexEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if c >= 'A' && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// squashDotSegments is RFC 3986's remove_dot_segments on u's path, as curl applies it.
func squashDotSegments(u *url.URL) {
	p := pathAsGiven(u)
	if !strings.Contains(p, ".") {
		return
	}
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	clean := strings.Join(out, "/")
	if clean == "" {
		clean = "/"
	}
	if clean != p {
		if nu, err := parseURL(clean); err == nil {
			u.Path, u.RawPath = nu.Path, nu.RawPath
		}
	}
}

// protocolSet is which schemes --proto allows.
type protocolSet map[string]bool

// parseProtocols reads curl's --proto syntax over a starting set: "=https" is exactly
// https, "-all,+https" likewise, "https" adds it.
func parseProtocols(spec string, start protocolSet) protocolSet {
	set := protocolSet{}
	for k, v := range start {
		set[k] = v
	}
	for _, item := range strings.Split(spec, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		op := byte('+')
		if item != "" && strings.IndexByte("=+-", item[0]) >= 0 {
			op, item = item[0], item[1:]
		}
		names := []string{item}
		if item == "all" {
			names = []string{"http", "https"}
		}
		if op == '=' {
			set = protocolSet{}
		}
		for _, n := range names {
			set[n] = op != '-'
		}
	}
	return set
}

var allProtocols = protocolSet{"http": true, "https": true}

// urlProtocols is the schemes --proto allows a command-line URL, nil for any.
func urlProtocols(spec string) protocolSet {
	if spec == "" {
		return nil
	}
	return parseProtocols(spec, allProtocols)
}

// refuses is curl's 1 for a URL whose scheme --proto does not allow, if it does not.
func (p protocolSet) refuses(u *url.URL) error {
	if p == nil || p[u.Scheme] {
		return nil
	}
	return exitErrorf(exitUnsupportedProtocol, "Protocol %q not supported or disabled in libcurl", u.Scheme)
}

// redirectProtocols is what a redirect may lead to: --proto-redir over --proto.
func redirectProtocols(proto, redir string) protocolSet {
	set := allProtocols
	if proto != "" {
		set = parseProtocols(proto, allProtocols)
	}
	if redir != "" {
		set = parseProtocols(redir, set)
	}
	return set
}

// opensslCiphers are OpenSSL's names (curl's --ciphers) for the TLS 1.2 suites Go has.
func opensslCiphers() map[string]uint16 {
	return map[string]uint16{
		"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	}
}

// parseCiphers reads --ciphers: OpenSSL's names (or Go's IANA ones) separated by : or
// , for TLS 1.2 (Go does not let TLS 1.3's suites be chosen); none that Go has is
// curl's 59.
func parseCiphers(list string) ([]uint16, error) {
	if list == "" {
		return nil, nil
	}
	iana := map[string]uint16{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		iana[s.Name] = s.ID
	}
	ciphers := opensslCiphers()
	var ids []uint16
	for _, name := range strings.FieldsFunc(list, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if id, ok := ciphers[strings.ToUpper(name)]; ok {
			ids = append(ids, id)
		} else if id, ok := iana[strings.ToUpper(name)]; ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, exitErrorf(exitCipherList, "failed setting cipher list: %s", list)
	}
	return ids, nil
}
