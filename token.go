package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"
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
