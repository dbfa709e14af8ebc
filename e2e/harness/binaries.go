package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// Binaries holds the paths of the two server programs a Cluster runs.
type Binaries struct {
	KubeAPIServer string
	Etcd          string
}

// tool says how to build one server program from its wrapper module under e2e/tools.
type tool struct {
	name    string // file name of the binary, and its folder under e2e/tools unless dir says another
	dir     string // folder under e2e/tools of the wrapper module, when not name
	pkg     string // import path of the main package, built inside that folder's module
	module  string // the required module whose version names the binary
	envPath string // environment variable that points to a prebuilt binary instead
	ldflags string // go build -ldflags, part of the cache key
}

var (
	kubeAPIServerTool = tool{
		name:    "kube-apiserver",
		pkg:     "k8s.io/kubernetes/cmd/kube-apiserver",
		module:  "k8s.io/kubernetes",
		envPath: "KCURL_E2E_KUBE_APISERVER",
	}
	// The kubelet comes from the same wrapper module as kube-apiserver, so its build reuses most of kube-apiserver's
	// build cache. Without -X its version would be v0.0.0-master: the Node reports this one instead.
	kubeletTool = tool{
		name:    "kubelet",
		dir:     "kube-apiserver",
		pkg:     "k8s.io/kubernetes/cmd/kubelet",
		module:  "k8s.io/kubernetes",
		envPath: "KCURL_E2E_KUBELET",
		ldflags: "-X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 -X k8s.io/component-base/version.gitTreeState=clean",
	}
	etcdTool = tool{
		name:    "etcd",
		pkg:     ".",
		module:  "go.etcd.io/etcd/server/v3",
		envPath: "KCURL_E2E_ETCD",
	}
)

// BuildTimeout bounds one cold build: about 4.5 minutes for both on 2 cores, so this leaves room for a slow proxy.
const BuildTimeout = 25 * time.Minute

// BuildBinaries returns kube-apiserver and etcd, built from the wrapper modules under e2e/tools on first use and
// then reused from the user cache dir, keyed by module version and a hash of the wrapper module's files.
// logf reports a cold build, which takes minutes, so a waiting person knows why.
func BuildBinaries(ctx context.Context, logf func(format string, args ...any)) (Binaries, error) {
	kas, err := buildTool(ctx, kubeAPIServerTool, logf)
	if err != nil {
		return Binaries{}, err
	}
	etcd, err := buildTool(ctx, etcdTool, logf)
	if err != nil {
		return Binaries{}, err
	}
	return Binaries{KubeAPIServer: kas, Etcd: etcd}, nil
}

// BuildKubelet returns the kubelet, built like kube-apiserver (and from the same wrapper module) on first use.
func BuildKubelet(ctx context.Context, logf func(format string, args ...any)) (string, error) {
	return buildTool(ctx, kubeletTool, logf)
}

// CacheDir is where built server binaries are kept between runs.
func CacheDir() (string, error) {
	if dir := os.Getenv("KCURL_E2E_CACHE"); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache dir (set KCURL_E2E_CACHE): %w", err)
	}
	return filepath.Join(base, "kcurl-e2e"), nil
}

func buildTool(ctx context.Context, t tool, logf func(format string, args ...any)) (string, error) {
	if path := os.Getenv(t.envPath); path != "" {
		return path, nil
	}
	e2eDir, err := E2EDir()
	if err != nil {
		return "", err
	}
	srcDir := filepath.Join(e2eDir, "tools", t.name)
	if t.dir != "" {
		srcDir = filepath.Join(e2eDir, "tools", t.dir)
	}
	version, key, err := toolKey(srcDir, t.module, t.ldflags)
	if err != nil {
		return "", err
	}
	cacheDir, err := CacheDir()
	if err != nil {
		return "", err
	}
	target := filepath.Join(cacheDir, t.name+"-"+version+"-"+key)
	if _, err := os.Stat(target); err == nil {
		return target, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	if logf != nil {
		logf("e2e: building %s %s into %s (cold: a few minutes, then cached)", t.name, version, cacheDir)
	}
	start := time.Now()
	// Build into a temp file and rename, so an interrupted build never leaves a broken binary under the cached name.
	tmp, err := os.CreateTemp(cacheDir, "."+t.name+"-*.tmp")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	var flags []string
	if t.ldflags != "" {
		flags = []string{"-ldflags", t.ldflags}
	}
	if err := goBuild(ctx, srcDir, tmp.Name(), t.pkg, nil, flags...); err != nil {
		return "", fmt.Errorf("building %s: %w", t.name, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return "", err
	}
	if logf != nil {
		logf("e2e: built %s in %s", t.name, time.Since(start).Round(time.Second))
	}
	return target, nil
}

// toolKey reads the version of module from srcDir's go.mod and hashes the wrapper module's files, so that a change
// of any version or flag there builds a new binary instead of reusing a stale one.
func toolKey(srcDir, module, ldflags string) (version, key string, err error) {
	gomod, err := os.ReadFile(filepath.Join(srcDir, "go.mod"))
	if err != nil {
		return "", "", err
	}
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?` + regexp.QuoteMeta(module) + `\s+(v\S+)`).FindSubmatch(gomod)
	if m == nil {
		return "", "", fmt.Errorf("%s/go.mod does not require %s", srcDir, module)
	}
	files, err := filepath.Glob(filepath.Join(srcDir, "*.go"))
	if err != nil {
		return "", "", err
	}
	files = append(files, filepath.Join(srcDir, "go.mod"), filepath.Join(srcDir, "go.sum"))
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	fmt.Fprintf(h, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if ldflags != "" {
		fmt.Fprintf(h, "ldflags %s\n", ldflags)
	}
	return string(m[1]), hex.EncodeToString(h.Sum(nil))[:12], nil
}

// ShipFlags are how kcurl ships into pods, with CGO_ENABLED=0: no source paths, no symbol table, no DWARF.
var ShipFlags = []string{"-trimpath", "-ldflags=-s -w"}

// GoBuild runs `go build flags -o out pkg` in dir with env added to this process's, returning go's output in the
// error when it fails.
func GoBuild(ctx context.Context, dir, out, pkg string, env []string, flags ...string) error {
	return goBuild(ctx, dir, out, pkg, env, flags...)
}

// goBuild runs `go build flags -o out pkg` in dir, returning go's output in the error when it fails.
func goBuild(ctx context.Context, dir, out, pkg string, env []string, flags ...string) error {
	ctx, cancel := context.WithTimeout(ctx, BuildTimeout)
	defer cancel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = dir
	// GOWORK=off: a go.work above the repo must not change what the wrapper modules resolve to.
	cmd.Env = append(append(os.Environ(), "GOWORK=off"), env...)
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), dir, err, output.String())
	}
	return nil
}

// ErrNoKcurl says the repository root has no kcurl module to build yet.
var ErrNoKcurl = errors.New("no kcurl module in the repository root")

// BuildKcurl builds the kcurl binary from the repository root into dir/kcurl, statically (CGO_ENABLED=0), with
// flags given to go build (ShipFlags for the binary exactly as it ships into pods).
func BuildKcurl(ctx context.Context, dir string, flags ...string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	if gomod, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !regexp.MustCompile(`(?m)^module kcurl\s*$`).Match(gomod) {
		return "", fmt.Errorf("%w (%s)", ErrNoKcurl, root)
	}
	if matches, _ := filepath.Glob(filepath.Join(root, "*.go")); len(matches) == 0 {
		return "", fmt.Errorf("%w (%s has no .go files)", ErrNoKcurl, root)
	}
	out := filepath.Join(dir, "kcurl")
	if err := goBuild(ctx, root, out, ".", []string{"CGO_ENABLED=0"}, flags...); err != nil {
		return "", err
	}
	return out, nil
}

// E2EDir is the folder of the kcurl/e2e module, found from this source file, else from the working directory up.
func E2EDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dir := filepath.Dir(filepath.Dir(file))
		if isE2EModule(dir) {
			return dir, nil
		}
	}
	// Under -trimpath the source path above is relative; the working directory is inside e2e for tests and the demo.
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isE2EModule(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the kcurl/e2e module: run from inside the e2e folder")
		}
		dir = parent
	}
}

// RepoRoot is the kcurl repository root, the parent of the e2e folder.
func RepoRoot() (string, error) {
	dir, err := E2EDir()
	if err != nil {
		return "", err
	}
	return filepath.Dir(dir), nil
}

func isE2EModule(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && regexp.MustCompile(`(?m)^module kcurl/e2e\s*$`).Match(b)
}
