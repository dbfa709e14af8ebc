package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// shortSkip is the message every test that needs the servers gives in -short mode.
const shortSkip = "e2e: skipped in -short mode (needs kube-apiserver and etcd)"

// suite is what TestMain sets up once per test process: building kube-apiserver takes minutes cold, starting it
// seconds, so the tests share one cluster and isolate themselves by namespace.
var suite struct {
	bins     harness.Binaries
	cluster  *harness.Cluster
	kcurl    string
	kcurlErr error
	dir      string
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Fprintln(os.Stderr, shortSkip)
		os.Exit(m.Run())
	}
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	dir, err := os.MkdirTemp("", "kcurl-e2e-")
	if err != nil {
		logf("e2e: %v", err)
		return 1
	}
	suite.dir = dir

	// Ctrl-C or a CI timeout's SIGTERM must not leave servers behind: stop them, then exit.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		logf("e2e: %v: stopping kube-apiserver and etcd", sig)
		cancel()
		if suite.cluster != nil {
			suite.cluster.Stop()
		}
		os.RemoveAll(dir)
		os.Exit(1)
	}()

	bins, err := harness.BuildBinaries(ctx, logf)
	if err != nil {
		logf("e2e: %v", err)
		return 1
	}
	suite.bins = bins
	start := time.Now()
	cluster, err := harness.Start(ctx, harness.Options{Binaries: bins, Dir: dir})
	if err != nil {
		logf("e2e: %v", err)
		return 1
	}
	suite.cluster = cluster
	logf("e2e: kube-apiserver ready at %s in %s", cluster.URL, time.Since(start).Round(10*time.Millisecond))

	suite.kcurl, suite.kcurlErr = harness.BuildKcurl(ctx, dir)

	code := m.Run()
	if code != 0 {
		// The servers' own words are often the fastest way to see why a request was answered as it was.
		logf("%s", cluster.LogTail(30))
	}
	cluster.Stop()
	signal.Stop(signals)
	if os.Getenv("KCURL_E2E_KEEP") != "" {
		logf("e2e: kept %s", dir)
	} else {
		os.RemoveAll(dir)
	}
	return code
}

// needCluster returns the shared cluster, or skips the test in -short mode.
func needCluster(t *testing.T) *harness.Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip(shortSkip)
	}
	if suite.cluster == nil {
		t.Fatal("e2e: no cluster: TestMain did not start one")
	}
	return suite.cluster
}

// needKcurl returns the path of the built kcurl binary. A repository without kcurl's sources yet skips; a kcurl that
// does not build fails.
func needKcurl(t *testing.T) string {
	t.Helper()
	needCluster(t)
	if errors.Is(suite.kcurlErr, harness.ErrNoKcurl) {
		t.Skipf("e2e: %v", suite.kcurlErr)
	}
	if suite.kcurlErr != nil {
		t.Fatalf("e2e: building kcurl: %v", suite.kcurlErr)
	}
	return suite.kcurl
}

// newNamespace makes a namespace named after the test. Namespaces never finish deleting without
// kube-controller-manager, so each test takes a fresh one and leaves it.
func newNamespace(t *testing.T) string {
	t.Helper()
	c := needCluster(t)
	name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	suffix := make([]byte, 3)
	rand.Read(suffix)
	name = strings.Trim(name, "-") + "-" + hex.EncodeToString(suffix)
	is.New(t).NoErr(c.CreateNamespace(t.Context(), name)) // creating the test's namespace
	return name
}
