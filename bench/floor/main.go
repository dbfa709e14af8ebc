// Command floor is the smallest in-cluster Go client: net/http and crypto/tls, no CLI library, no JSON. The
// benchmark runs it beside kcurl as the floor a Go binary can reach (issue 5 measured it at 0.49× curl).
//
//	KUBERNETES_SERVICE_HOST=… KUBERNETES_SERVICE_PORT=… KCURL_SERVICE_ACCOUNT_DIR=… floor /path [/path …]
//	floor --version
//	floor --no-such-option    # exit 2, as curl and kcurl do for an option they do not know
//
// The last two are the floor of a start-up that reads no file and makes no connection.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

func main() {
	for _, arg := range os.Args[1:] {
		switch {
		case arg == "--version":
			fmt.Printf("floor (%s %s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			os.Exit(0)
		case strings.HasPrefix(arg, "-"):
			fmt.Fprintf(os.Stderr, "floor: unknown option %s\n", arg)
			os.Exit(2)
		}
	}
	dir := os.Getenv("KCURL_SERVICE_ACCOUNT_DIR")
	ca, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	check(err)
	token, err := os.ReadFile(filepath.Join(dir, "token"))
	check(err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	base := "https://" + net.JoinHostPort(os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT"))
	for _, path := range os.Args[1:] {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		check(err)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := client.Do(req)
		check(err)
		_, err = io.Copy(os.Stdout, resp.Body)
		resp.Body.Close()
		check(err)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}
