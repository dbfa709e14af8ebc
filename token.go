package main

// When does the token go out? This file answers it whole: which service-account folder
// is used, where the bearer token comes from, which request and which hop of a redirect
// it goes with, which of the user's own credential headers follow a redirect, and what
// -v shows in its place.

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// serviceAccountDir is where the kubelet mounts a pod's service-account token, CA and namespace.
const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// maxTokenSize bounds a token file; projected tokens are about 1 KiB.
const maxTokenSize = 64 << 10

// redactedToken is what -v shows instead of the token.
const redactedToken = "<redacted>"

// tokenFlags are the credential flags as given.
type tokenFlags struct {
	token     string
	tokenFile string
	oauth2    string
	// saDir is --service-account-dir.
	saDir string
	// fromPID is --from-pid.
	fromPID int
	// saToken is --sa-token.
	saToken bool
}

// typed reports whether a token was given on the command line or in a file of the
// user's choosing rather than found in a service-account folder.
func (f tokenFlags) typed() bool { return f.token != "" || f.tokenFile != "" || f.oauth2 != "" }

// serviceAccount is the folder whose token, ca.crt and namespace kcurl uses.
type serviceAccount struct {
	// dir is the folder, as kcurl names it.
	dir string
	// root, when set, is another process's root (/proc/PID/root): the folder is that
	// process's serviceAccountDir, and its files are opened inside root (procscan.go).
	root string
	// note says, under -v, why another process's folder is used, if it is.
	note string
}

// chooseServiceAccount is --from-pid, else --service-account-dir, else
// $KCURL_SERVICE_ACCOUNT_DIR, else the kubelet's path; when that holds no token and none
// was given, a kubectl debug container's target: the first other process whose folder
// the kubelet could have made for it (findServiceAccount), looked for until deadline.
func chooseServiceAccount(f tokenFlags, getenv func(string) string, procDir string, self int, deadline time.Time) (serviceAccount, error) {
	if f.fromPID != 0 {
		sa, err := serviceAccountOf(procDir, f.fromPID)
		if err != nil {
			return serviceAccount{}, err
		}
		if err := checkChosen(sa); err != nil {
			return serviceAccount{}, exitErrorf(exitCACertProblem, "the service account of PID %d: %s: %v", f.fromPID, filepath.Join(sa.dir, "ca.crt"), err)
		}
		sa.note = fmt.Sprintf("using the service account of PID %d: %s", f.fromPID, sa.dir)
		return sa, nil
	}
	dir := f.saDir
	if dir == "" {
		dir = getenv("KCURL_SERVICE_ACCOUNT_DIR")
	}
	if dir == "" {
		dir = serviceAccountDir
	}
	if f.typed() || fileExists(filepath.Join(dir, "token")) {
		return serviceAccount{dir: dir}, nil
	}
	pid, sa, skipped, err := scanWithin(procDir, self, deadline)
	if err != nil {
		return serviceAccount{}, err
	}
	if pid != 0 {
		sa.note = fmt.Sprintf("no token in %s; using the service account of PID %d: %s", dir, pid, sa.dir)
		return sa, nil
	}
	own := serviceAccount{dir: dir}
	if len(skipped) > maxSkippedShown {
		skipped = append(skipped[:maxSkippedShown], fmt.Sprintf("and %d more", len(skipped)-maxSkippedShown))
	}
	if len(skipped) > 0 {
		own.note = fmt.Sprintf("no token in %s; not using another process's service account (%s)", dir, strings.Join(skipped, "; "))
	}
	return own, nil
}

// maxSkippedShown bounds the processes -v names as passed by, so the note stays one line.
const maxSkippedShown = 5

// scanWithin is findServiceAccount bounded by deadline even where a file system
// blocks a lookup (FUSE): the scan is then left behind and the run fails with 28.
func scanWithin(procDir string, self int, deadline time.Time) (int, serviceAccount, []string, error) {
	type found struct {
		pid     int
		sa      serviceAccount
		skipped []string
		err     error
	}
	done := make(chan found, 1)
	go func() {
		var r found
		r.pid, r.sa, r.skipped, r.err = findServiceAccount(procDir, self, deadline)
		done <- r
	}()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case r := <-done:
		return r.pid, r.sa, r.skipped, r.err
	case <-timeout:
		return 0, serviceAccount{}, nil, exitErrorf(exitTimeout, "gave up looking for another process's service account: a lookup did not return")
	}
}

// tokenSource says where the bearer token is read from, afresh for each attempt.
type tokenSource struct {
	token     string
	tokenFile string
	oauth2    string
	saDir     string
	// saRoot is serviceAccount.root: the token is opened inside it.
	saRoot string
}

// newTokenSource checks a token typed on the command line before anything is sent.
func newTokenSource(f tokenFlags, sa serviceAccount) (tokenSource, error) {
	for _, typed := range []struct{ value, flag string }{{f.token, "--token"}, {f.oauth2, "--oauth2-bearer"}} {
		if typed.value == "" {
			continue
		}
		if _, _, err := checkToken(strings.TrimSpace(typed.value), typed.flag); err != nil {
			return tokenSource{}, &exitError{code: exitFailedInit, err: err}
		}
	}
	return tokenSource{token: f.token, tokenFile: f.tokenFile, oauth2: f.oauth2, saDir: sa.dir, saRoot: sa.root}, nil
}

// explicit reports whether the token was typed on the command line, which is what
// lets it travel over -k.
func (s tokenSource) explicit() bool { return s.token != "" || s.oauth2 != "" }

// read returns the bearer token, read afresh, and where it came from. With no token
// anywhere it returns "" and, in source, why none is sent.
func (s tokenSource) read() (token, source string, err error) {
	switch {
	case s.token != "":
		return checkToken(strings.TrimSpace(s.token), "--token")
	case s.tokenFile != "":
		return readTokenFile(s.tokenFile)
	case s.oauth2 != "":
		return checkToken(strings.TrimSpace(s.oauth2), "--oauth2-bearer")
	}
	file := filepath.Join(s.saDir, "token")
	b, err := serviceAccount{dir: s.saDir, root: s.saRoot}.readFile("token", maxTokenSize)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "no token sent: " + file + " does not exist", nil
	}
	return tokenFromFile(file, b, err)
}

// readTokenFile reads and trims a token file, bounded.
func readTokenFile(file string) (string, string, error) {
	b, err := readBounded(file, maxTokenSize)
	return tokenFromFile(file, b, err)
}

// tokenFromFile is the token in b, read from file, or why it could not be read.
func tokenFromFile(file string, b []byte, err error) (string, string, error) {
	if err != nil {
		return "", "", &exitError{code: exitReadError, err: &causedError{msg: fmt.Sprintf("cannot read token file %s: %s", file, fileProblem(err)), cause: err}}
	}
	return checkToken(strings.TrimSpace(string(b)), file)
}

// checkToken refuses what cannot be a bearer token (RFC 6750's visible ASCII), so a
// wrong file is an error, not a header injection; the message never holds the value.
func checkToken(token, source string) (string, string, error) {
	if token == "" {
		return "", "", exitErrorf(exitReadError, "token %s is empty", source)
	}
	for i := 0; i < len(token); i++ {
		if token[i] < 0x21 || token[i] > 0x7e {
			return "", "", exitErrorf(exitReadError, "token %s does not hold a bearer token (byte %d of %d is not visible ASCII)", source, i+1, len(token))
		}
	}
	return token, source, nil
}

// credentials decides which credentials go with which request.
type credentials struct {
	source   tokenSource
	insecure bool
	// saToken is --sa-token: the pod's own token also goes to the URL typed, as an
	// explicit token does.
	saToken bool
	// impersonate are the Impersonate-* headers of --as and its companions.
	impersonate []headerArg
}

// hop is what the credential decision needs to know about one request of a transfer.
type hop struct {
	// origin is the URL the transfer started at: the one the user typed.
	origin *url.URL
	url    *url.URL
	// api and originAPI say whether url and origin are the API server: by address, or
	// by name when the cluster's CA verifies the connection.
	api       bool
	originAPI bool
	// clusterCA is the API server's connection verified by the cluster's CA: the
	// service account's ca.crt or --cacert, and not -k (it means nothing unless api).
	clusterCA bool
}

// hopCredentials are the credentials of one request: the user's -H headers that may
// go, and the bearer token's header when it goes.
type hopCredentials struct {
	headers []headerArg
	bearer  *headerArg
	auth    authState
	// impersonate are the Impersonate-* headers, when they go.
	impersonate []headerArg
}

// forHop decides the credentials of one request. The user's own Authorization, Cookie
// and Proxy-Authorization go only to the origin's scheme, host and port (curl's rule
// since CVE-2022-27776), unless --location-trusted; the token goes where tokenDecision
// allows.
func (c credentials) forHop(h hop, user []headerArg) (hopCredentials, error) {
	same := sameOrigin(h.origin, h.url)
	var hc hopCredentials
	userAuth := false
	for _, hdr := range user {
		if isCredentialHeader(hdr.name) && !same && !hdr.trusted {
			continue
		}
		if strings.EqualFold(hdr.name, "Authorization") {
			userAuth = true
		}
		hc.headers = append(hc.headers, hdr)
	}
	send, why := c.tokenDecision(h, userAuth)
	hc.auth = authState{why: why}
	if len(c.impersonate) > 0 && h.api && h.originAPI {
		// Another identity is asked of the API server only, never of a host a redirect leads to.
		hc.impersonate, hc.auth.impersonated = c.impersonate, c.impersonate[0].value
	}
	if !send {
		if h.api || c.typed() {
			hc.auth.note = why
		}
		return hc, nil
	}
	token, source, err := c.source.read()
	if err != nil {
		return hc, err
	}
	if token == "" {
		hc.auth.why, hc.auth.note = source, source
		return hc, nil
	}
	hc.auth = authState{sent: true, source: source, claims: jwtPayload(token), note: "sending the bearer token from " + source, impersonated: hc.auth.impersonated}
	hc.bearer = &headerArg{name: "Authorization", value: "Bearer " + token, shown: "Bearer " + redactedToken}
	return hc, nil
}

// typed reports a token the user pointed at a URL: --token, --token-file,
// --oauth2-bearer, or the pod's own with --sa-token.
func (c credentials) typed() bool {
	return c.source.explicit() || c.source.tokenFile != "" || c.saToken
}

// tokenDecision says whether the token may go with a request, and if not, why. To the
// API server (a transfer that started there), only over TLS verified by the cluster's
// CA; the one exception is a token typed on the command line with -k, to the discovered
// address. A typed token (and --sa-token's) also goes to the URL the user typed, over
// verified TLS, to its scheme, host and port only. Nowhere else.
func (c credentials) tokenDecision(h hop, userAuthorization bool) (bool, string) {
	switch {
	case userAuthorization:
		return false, "no token sent: an Authorization header was given"
	case h.url.Scheme != "https":
		return false, "no token sent: " + h.url.Scheme + ":// is not TLS"
	case h.api && h.originAPI:
		return c.toAPIServer(h)
	case c.typed() && sameOrigin(h.origin, h.url):
		if c.insecure {
			return false, "no token sent: -k does not verify " + h.url.Host
		}
		return true, ""
	case h.api:
		return false, "no token sent: the request started at " + h.origin.Host + ", not at the API server"
	}
	return false, "no token sent: " + h.url.Host + " is not the API server"
}

// toAPIServer is the token rule for the API server itself.
func (c credentials) toAPIServer(h hop) (bool, string) {
	switch {
	case h.clusterCA:
		return true, ""
	case c.insecure && c.source.explicit():
		// Under -k only the discovered address is the API server (a name needs the
		// cluster's CA), so this is the address the user pointed the typed token at.
		return true, ""
	case c.insecure:
		return false, "no token sent: -k does not verify the server (give --token to send one anyway)"
	}
	return false, "no token sent: no cluster CA verifies the API server (" + filepath.Join(c.source.saDir, "ca.crt") + " does not exist; give --cacert)"
}

// sameOrigin reports whether two URLs have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && hostPort(a) == hostPort(b)
}

// isCredentialHeader is a header that carries the user's own credentials.
func isCredentialHeader(name string) bool {
	return strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Cookie") || strings.EqualFold(name, "Proxy-Authorization")
}

// authState is what happened to the token for one request; it never holds the token.
type authState struct {
	sent   bool
	source string
	why    string
	// claims is the sent token's middle part, its claims still encoded: without the header and the signature it
	// authenticates nothing. unauthorizedHint decodes them when a 401 needs explaining, and nothing else does:
	// go-json's first decode of a type builds its decoder, which cost every GET with a service-account token 9-10
	// page faults (1.5-2.5% of its CPU) when the claims were decoded for every request.
	claims string
	// note is the -v line that says what happened to the token, if there is one to say.
	note string
	// impersonated is the user the Impersonate-* headers asked for, when they went, for a 403's hint.
	impersonated string
}

// tokenClaims are the claims of a service-account token that help explain a 401;
// they are decoded without verifying the signature, and never trusted for anything else.
type tokenClaims struct {
	Issuer     string   `json:"iss"`
	Subject    string   `json:"sub"`
	Audience   audience `json:"aud"`
	Expiry     int64    `json:"exp"`
	IssuedAt   int64    `json:"iat"`
	NotBefore  int64    `json:"nbf"`
	Kubernetes struct {
		Namespace      string    `json:"namespace"`
		ServiceAccount *namedUID `json:"serviceaccount"`
		Pod            *namedUID `json:"pod"`
		Node           *namedUID `json:"node"`
		WarnAfter      int64     `json:"warnafter"`
	} `json:"kubernetes.io"`
}

// namedUID is a Kubernetes object reference in a token.
type namedUID struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// audience is a JWT "aud": one string or a list.
type audience []string

// UnmarshalJSON takes both forms of "aud".
func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// maxJWTPayload bounds the claims kcurl decodes.
const maxJWTPayload = 16 << 10

// decodeClaims reads a JWT's payload, or nil when the token is not a JWT.
func decodeClaims(token string) *tokenClaims {
	return decodePayload(jwtPayload(token))
}

// jwtPayload is the middle of a token's three dot-separated parts, or "" when it has not three or the middle is
// over maxJWTPayload.
func jwtPayload(token string) string {
	_, rest, _ := strings.Cut(token, ".") // no first dot leaves rest empty, so the second Cut fails
	payload, signature, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(signature, ".") || len(payload) > maxJWTPayload {
		return ""
	}
	return payload
}

// decodePayload reads a JWT's middle part as its claims, or nil when it is not base64url of a JSON object.
func decodePayload(part string) *tokenClaims {
	if part == "" {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(part, "="))
	if err != nil {
		return nil
	}
	var c tokenClaims
	if json.Unmarshal(payload, &c) != nil {
		return nil
	}
	return &c
}

// unauthorizedHint says what to check after a 401, from what kcurl knows locally.
func unauthorizedHint(a authState, now time.Time) string {
	claims := decodePayload(a.claims)
	switch {
	case !a.sent && a.why != "":
		return a.why
	case !a.sent:
		return "no token was sent"
	case claims == nil:
		return "the token from " + a.source + " is not a JWT; is it a service-account token?"
	case claims.Expiry > 0 && now.Unix() >= claims.Expiry:
		exp := time.Unix(claims.Expiry, 0).UTC()
		return fmt.Sprintf("the token from %s expired at %s, %s ago", a.source, exp.Format(time.RFC3339), now.Sub(exp).Round(time.Second))
	case claims.NotBefore > 0 && now.Unix() < claims.NotBefore:
		return "the token from " + a.source + " is not valid yet; is this machine's clock right?"
	}
	return fmt.Sprintf("the token from %s was refused: is its audience (%s) one the API server accepts, and do its service account and pod still exist?", a.source, strings.Join(claims.Audience, ", "))
}
