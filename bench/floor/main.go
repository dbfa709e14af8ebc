// Command floor is the smallest in-cluster Go client: net/http and crypto/tls, no CLI library, no JSON. The
// benchmark runs it beside kcurl as the floor a Go binary can reach (issue 5 measured it at 0.49× curl).
//
//	KUBERNETES_SERVICE_HOST=… KUBERNETES_SERVICE_PORT=… KCURL_SERVICE_ACCOUNT_DIR=… floor /path [/path …]
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
	"strings"
)

func main() {
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
