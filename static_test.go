package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/matryer/is"
)

// dockerBuildCommand is the go build line of Dockerfile.scratch, so the test runs
// exactly what the image build runs.
func dockerBuildCommand(t *testing.T) (string, string) {
	t.Helper()
	b, err := os.ReadFile("Dockerfile.scratch")
	if err != nil {
		t.Fatal(err)
	}
	var build string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "RUN CGO_ENABLED=0 ") {
			build = strings.TrimPrefix(l, "RUN ")
		}
	}
	if build == "" {
		t.Fatal("Dockerfile.scratch has no RUN CGO_ENABLED=0 … go build line")
	}
	return string(b), build
}

// buildLikeTheImage runs the Dockerfile's build command for goarch into a temp dir.
func buildLikeTheImage(t *testing.T, goarch string) string {
	t.Helper()
	_, build := dockerBuildCommand(t)
	out := filepath.Join(t.TempDir(), "kcurl")
	cmd := exec.Command("sh", "-c", strings.Replace(build, "/out/kcurl", out, 1))
	cmd.Env = append(os.Environ(), "TARGETOS=linux", "TARGETARCH="+goarch, "VERSION=v0.0.0-test")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, b)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	is := is.New(t)
	text, build := dockerBuildCommand(t)
	for _, want := range []string{
		"FROM --platform=$BUILDPLATFORM ",
		"\nFROM scratch\n",
		"\nUSER 65532:65532\n",
		"\nENTRYPOINT [\"/kcurl\"]\n",
		"COPY --from=build /out/kcurl /kcurl\n",
	} {
		is.True(strings.Contains(text, want)) // the image is the binary alone, numeric non-root
	}
	is.True(strings.Contains(build, "GOOS=$TARGETOS GOARCH=$TARGETARCH")) // cross-compiles for buildx platforms
	is.Equal(strings.Count(text, "\nCOPY "), 3)                           // go.mod/go.sum, sources, and only the binary into scratch
}

func TestStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("static build skipped in -short mode")
	}
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			is := is.New(t)
			bin := buildLikeTheImage(t, arch)
			f, err := elf.Open(bin)
			is.NoErr(err)
			defer f.Close()
			want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
			is.Equal(f.Machine, want) // built for the target
			for _, p := range f.Progs {
				is.True(p.Type != elf.PT_INTERP) // no dynamic loader: static
			}
			libs, _ := f.ImportedLibraries()
			is.Equal(len(libs), 0) // no shared libraries
			st, err := os.Stat(bin)
			is.NoErr(err)
			// Issue 5's limit. Calling kong.Parse (its reflective hooks) alone would add 1.4 MB.
			if st.Size() > 10<<20 {
				t.Errorf("the stripped binary is %d bytes, over 10 MiB (%d)", st.Size(), 10<<20)
			}
			if arch == runtime.GOARCH {
				out, err := exec.Command(bin, "--version").Output()
				is.NoErr(err)
				is.Equal(string(out), "kcurl v0.0.0-test ("+runtime.Version()+" linux/"+arch+", static)\n")
			}
		})
	}
}

// TestEmptyRoot runs the built binary with an empty directory as its root: no /etc,
// no /lib, no /tmp, no CA bundle, no resolv.conf; only what a pod mounts.
func TestEmptyRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("empty-root run skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root; run as root to prove kcurl runs in an empty root")
	}
	bin := buildLikeTheImage(t, runtime.GOARCH)
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "application/json", `{"kind":"PodList"}`), serverOptions{})
	root := t.TempDir()
	sa := filepath.Join(root, "var/run/secrets/kubernetes.io/serviceaccount")
	is := is.New(t)
	is.NoErr(os.MkdirAll(sa, 0o755))
	is.NoErr(os.WriteFile(filepath.Join(sa, "ca.crt"), pki.caPEM, 0o644))
	is.NoErr(os.WriteFile(filepath.Join(sa, "token"), []byte(secretPrefix+"chroot\n"), 0o644))
	b, _ := os.ReadFile(bin)
	is.NoErr(os.WriteFile(filepath.Join(root, "kcurl"), b, 0o755))
	runRoot := func(env []string, args ...string) (int, string, string) {
		cmd := exec.Command("/kcurl", args...)
		cmd.Env = env
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		code := 0
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("cannot run in the empty root: %v", err)
		}
		assertNoToken(t, stdout.String()+stderr.String())
		return code, stdout.String(), stderr.String()
	}
	entries, _ := os.ReadDir(root)
	is.Equal(len(entries), 2) // the root holds only kcurl and /var

	t.Run("the three steps", func(t *testing.T) {
		is := is.New(t)
		env := apiEnv(srv, "")
		code, stdout, stderr := runRoot([]string{"KUBERNETES_SERVICE_HOST=" + env["KUBERNETES_SERVICE_HOST"], "KUBERNETES_SERVICE_PORT=" + env["KUBERNETES_SERVICE_PORT"]}, "-sS", "/api/v1/namespaces/default/pods")
		is.Equal(stderr, "")
		is.Equal(code, 0)
		is.Equal(stdout, `{"kind":"PodList"}`)                                             // verified with ca.crt from the mounted directory
		is.Equal(rec.last(t).header.Get("Authorization"), "Bearer "+secretPrefix+"chroot") // and the mounted token
	})
	t.Run("not in a pod", func(t *testing.T) {
		is := is.New(t)
		// With no resolv.conf the resolver asks loopback, where nothing answers.
		code, _, stderr := runRoot(nil, "-sS", "/api")
		is.Equal(code, 6)
		is.Equal(stderr, "kcurl: (6) Could not resolve host: kubernetes.default.svc (not in a pod? set --server or KUBERNETES_SERVICE_HOST)\n")
	})
}
