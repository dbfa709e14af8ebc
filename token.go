package main

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

// tokenOptions say where the bearer token comes from, in kcurl's order.
type tokenOptions struct {
	token     string
	tokenFile string
	oauth2    string
	saDir     string
}

// explicit reports whether the token was typed on the command line, which is what
// lets it travel over -k.
func (o tokenOptions) explicit() bool { return o.token != "" || o.oauth2 != "" }

// read returns the bearer token, read afresh, and where it came from. With no token
// anywhere it returns "" and, in source, why none is sent.
func (o tokenOptions) read() (token, source string, err error) {
	switch {
	case o.token != "":
		return checkToken(strings.TrimSpace(o.token), "--token")
	case o.tokenFile != "":
		return readTokenFile(o.tokenFile)
	case o.oauth2 != "":
		return checkToken(strings.TrimSpace(o.oauth2), "--oauth2-bearer")
	}
	file := filepath.Join(o.saDir, "token")
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

// isAPIServer reports whether u names the API server: its discovered host and port, or
// one of the cluster's names for it on port 443.
func isAPIServer(u *url.URL, api apiServer) bool {
	if hostPort(u) == hostPort(api.base) {
		return true
	}
	if hostPort(u) != strings.ToLower(u.Hostname())+":443" {
		return false
	}
	switch h := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."); {
	case h == "kubernetes", h == "kubernetes.default", h == defaultAPIServerHost:
		return true
	case strings.HasPrefix(h, defaultAPIServerHost+"."):
		return true
	}
	return false
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

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
