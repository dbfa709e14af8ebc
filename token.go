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
	"os"
	"path/filepath"
	"sort"
	"strconv"
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
}

// typed reports whether a token was given on the command line or in a file of the
// user's choosing rather than found in a service-account folder.
func (f tokenFlags) typed() bool { return f.token != "" || f.tokenFile != "" || f.oauth2 != "" }

// serviceAccount is the folder whose token, ca.crt and namespace kcurl uses.
type serviceAccount struct {
	dir string
	// note says, under -v, why another process's folder is used, if it is.
	note string
}

// chooseServiceAccount is --from-pid, else --service-account-dir, else
// $KCURL_SERVICE_ACCOUNT_DIR, else the kubelet's path; when that holds no token and none
// was given, a kubectl debug container's target: the first other process whose root holds one.
func chooseServiceAccount(f tokenFlags, getenv func(string) string, procDir string, self int) (serviceAccount, error) {
	if f.fromPID != 0 {
		dir, err := serviceAccountOf(procDir, f.fromPID)
		if err != nil {
			return serviceAccount{}, err
		}
		return serviceAccount{dir: dir, note: fmt.Sprintf("using the service account of PID %d: %s", f.fromPID, dir)}, nil
	}
	dir := f.saDir
	if dir == "" {
		dir = getenv("KCURL_SERVICE_ACCOUNT_DIR")
	}
	if dir == "" {
		dir = serviceAccountDir
	}
	if !f.typed() && !fileExists(filepath.Join(dir, "token")) {
		if pid, found, ok := findServiceAccount(procDir, self); ok {
			return serviceAccount{dir: found, note: fmt.Sprintf("no token in %s; using the service account of PID %d: %s", dir, pid, found)}, nil
		}
	}
	return serviceAccount{dir: dir}, nil
}

// tokenSource says where the bearer token is read from, afresh for each attempt.
type tokenSource struct {
	token     string
	tokenFile string
	oauth2    string
	saDir     string
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
	return tokenSource{token: f.token, tokenFile: f.tokenFile, oauth2: f.oauth2, saDir: sa.dir}, nil
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
	token, source, err = readTokenFile(file)
	var ee *exitError
	if errors.As(err, &ee) && errors.Is(ee.err, fs.ErrNotExist) {
		return "", "no token sent: " + file + " does not exist", nil
	}
	return token, source, err
}

// readTokenFile reads and trims a token file, bounded.
func readTokenFile(file string) (string, string, error) {
	b, err := readBounded(file, maxTokenSize)
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
	api      apiServer
	source   tokenSource
	insecure bool
}

// hopCredentials are the credentials of one request: the user's -H headers that may
// go, and the bearer token's header when it goes.
type hopCredentials struct {
	headers []headerArg
	bearer  *headerArg
	auth    authState
}

// forHop decides the credentials of one request of a transfer that started at origin.
// The user's own Authorization and Cookie go only to the origin's host and port, as
// curl sends them; the token goes where tokenDecision allows, and never on a transfer
// that started anywhere but the API server.
func (c credentials) forHop(origin, u *url.URL, user []headerArg) (hopCredentials, error) {
	sameHost := hostPort(u) == hostPort(origin)
	var hc hopCredentials
	userAuth := false
	for _, h := range user {
		if isCredentialHeader(h.name) && !sameHost && !h.trusted {
			continue
		}
		if strings.EqualFold(h.name, "Authorization") {
			userAuth = true
		}
		hc.headers = append(hc.headers, h)
	}
	send, why := tokenDecision(u, c.api, c.insecure, c.source.explicit(), userAuth)
	if send && !isAPIServer(origin, c.api) {
		// A redirect from another host must not borrow the token for the API server.
		send, why = false, "no token sent: the request started at "+origin.Host+", not at the API server"
	}
	hc.auth = authState{why: why}
	if !send {
		if isAPIServer(u, c.api) || c.source.explicit() || c.source.tokenFile != "" {
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
	hc.auth = authState{sent: true, source: source, claims: decodeClaims(token), note: "sending the bearer token from " + source}
	hc.bearer = &headerArg{name: "Authorization", value: "Bearer " + token, shown: "Bearer " + redactedToken}
	return hc, nil
}

// isCredentialHeader is a header that carries the user's own credentials.
func isCredentialHeader(name string) bool {
	return strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Cookie")
}

// tokenDecision says whether the token may go with a request to u, and if not, why.
func tokenDecision(u *url.URL, api apiServer, insecure, explicit, userAuthorization bool) (bool, string) {
	switch {
	case userAuthorization:
		return false, "no token sent: an Authorization header was given"
	case u.Scheme != "https":
		return false, "no token sent: " + u.Scheme + ":// is not TLS"
	case !isAPIServer(u, api):
		return false, "no token sent: " + u.Host + " is not the API server"
	case insecure && !explicit:
		return false, "no token sent: -k does not verify the server (give --token to send one anyway)"
	}
	return true, ""
}

// authState is what happened to the token for one request; it never holds the token.
type authState struct {
	sent   bool
	source string
	why    string
	claims *tokenClaims
	// note is the -v line that says what happened to the token, if there is one to say.
	note string
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
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[1]) > maxJWTPayload {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
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
	switch {
	case !a.sent && a.why != "":
		return a.why
	case !a.sent:
		return "no token was sent"
	case a.claims == nil:
		return "the token from " + a.source + " is not a JWT; is it a service-account token?"
	case a.claims.Expiry > 0 && now.Unix() >= a.claims.Expiry:
		exp := time.Unix(a.claims.Expiry, 0).UTC()
		return fmt.Sprintf("the token from %s expired at %s, %s ago", a.source, exp.Format(time.RFC3339), now.Sub(exp).Round(time.Second))
	case a.claims.NotBefore > 0 && now.Unix() < a.claims.NotBefore:
		return "the token from " + a.source + " is not valid yet; is this machine's clock right?"
	}
	return fmt.Sprintf("the token from %s was refused: is its audience (%s) one the API server accepts, and do its service account and pod still exist?", a.source, strings.Join(a.claims.Audience, ", "))
}

// maxProcsScanned bounds the search for another process's service account.
const maxProcsScanned = 4096

// findServiceAccount looks, in PID order, for another process whose own root holds a
// service-account token: with a shared process namespace, the debugged container's.
func findServiceAccount(procDir string, self int) (int, string, bool) {
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return 0, "", false
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid != self {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	for i, pid := range pids {
		if i >= maxProcsScanned {
			break
		}
		dir, err := serviceAccountOf(procDir, pid)
		if err != nil {
			continue
		}
		if f, err := os.Open(filepath.Join(dir, "token")); err == nil {
			f.Close()
			return pid, dir, true
		}
	}
	return 0, "", false
}

// serviceAccountOf is the service-account directory as process pid sees it.
func serviceAccountOf(procDir string, pid int) (string, error) {
	root := filepath.Join(procDir, strconv.Itoa(pid), "root")
	dir, err := resolveInRoot(root, serviceAccountDir)
	if err != nil {
		return "", exitErrorf(exitReadError, "no service account for PID %d: %s: %s", pid, filepath.Join(root, serviceAccountDir), fileProblem(err))
	}
	return dir, nil
}

// resolveInRoot follows path inside root as a process with that root would: an
// absolute symlink (/var/run -> /run) starts again at root, not at kcurl's own "/".
func resolveInRoot(root, path string) (string, error) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	cur := root
	for hops := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if cur != root {
				cur = filepath.Dir(cur)
			}
			continue
		}
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", errors.New("too many levels of symbolic links")
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = root
		}
		parts = append(strings.Split(strings.Trim(target, "/"), "/"), parts...)
	}
	return cur, nil
}
