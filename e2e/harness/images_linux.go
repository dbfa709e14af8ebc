package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// The images a node's pods run, by the names pods give (the CRI completes a short name to docker.io/library/…).
const (
	// KcurlImage is built from the repository's own Dockerfile.scratch.
	KcurlImage = "kcurl:e2e"
	// DistrolessImage is the README's distroless recipe: kcurl copied onto a distroless-style base.
	DistrolessImage = "kcurl-distroless:e2e"
)

// GoBuilderImage is what Dockerfile.scratch's build stage names. No registry is reachable here, so the harness
// makes an image of that name in its own build storage from this machine's Go toolchain.
const GoBuilderImage = "docker.io/library/golang:1.26"

// distrolessBase is a distroless-style base made by the harness: /etc/passwd and /etc/group with root and nonroot
// (65532) as distroless has them, a /tmp, no shell, running as nonroot, like gcr.io/distroless/static-debian12:nonroot.
const distrolessBase = "localhost/kcurl-e2e/distroless-static:nonroot"

// DistrolessDockerfile is the README's distroless recipe with only the base changed to the harness's stand-in.
const DistrolessDockerfile = `FROM kcurl AS kcurl
FROM ` + distrolessBase + `
COPY --from=kcurl /kcurl /usr/local/bin/kcurl
`

// Images are archives for Node.ImportImage and what building them took.
type Images struct {
	Archives []string
	Took     map[string]time.Duration
}

// builder runs buildah on storage of its own under dir, with the vfs driver (no overlay mounts to clean) and
// chroot isolation (no user namespaces or runtime needed).
type builder struct {
	root, runroot string
}

func (b builder) buildah(ctx context.Context, dir string, args ...string) (string, error) {
	args = append([]string{"--root", b.root, "--runroot", b.runroot, "--storage-driver", "vfs"}, args...)
	cmd := exec.CommandContext(ctx, "buildah", args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("buildah %s: %w\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// BuildImages builds, with buildah, the pause image (tools/pause), the Go builder image, kcurl's image from
// Dockerfile.scratch as it is in the repository, and the distroless recipe image, and writes each as a
// docker-archive under dir. The build storage is under dir too; Stop's removal of dir removes it.
func BuildImages(ctx context.Context, dir string, logf func(format string, args ...any)) (Images, error) {
	imgs := Images{Took: map[string]time.Duration{}}
	e2eDir, err := E2EDir()
	if err != nil {
		return imgs, err
	}
	root := filepath.Dir(e2eDir)
	b := builder{root: filepath.Join(dir, "storage"), runroot: filepath.Join(dir, "run")}
	step := func(name string, f func() error) error {
		start := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("image %s: %w", name, err)
		}
		imgs.Took[name] = time.Since(start)
		logf("e2e: image %s built in %s", name, imgs.Took[name].Round(10*time.Millisecond))
		return nil
	}
	export := func(image, name string) error {
		archive := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(name)+".tar")
		if _, err := b.buildah(ctx, dir, "push", "--quiet", image, "docker-archive:"+archive+":"+name); err != nil {
			return err
		}
		imgs.Archives = append(imgs.Archives, archive)
		return nil
	}

	err = step("pause", func() error {
		ctxDir := filepath.Join(dir, "pause")
		if err := os.MkdirAll(ctxDir, 0o755); err != nil {
			return err
		}
		if err := goBuild(ctx, e2eDir, filepath.Join(ctxDir, "pause"), "./tools/pause", []string{"CGO_ENABLED=0"}, "-trimpath", "-ldflags=-s -w"); err != nil {
			return err
		}
		dockerfile := "FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT [\"/pause\"]\n"
		if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
			return err
		}
		if _, err := b.buildah(ctx, ctxDir, "build", "--quiet", "--isolation", "chroot", "--pull=never", "-t", PauseImage, "."); err != nil {
			return err
		}
		return export(PauseImage, PauseImage)
	})
	if err != nil {
		return imgs, err
	}
	if err := step("golang builder", func() error { return b.goBuilder(ctx, dir, root) }); err != nil {
		return imgs, err
	}
	err = step("kcurl (Dockerfile.scratch)", func() error {
		// The Dockerfile is built as it is; only its RUN steps get a Go build cache of the harness's own (the
		// builder image's GOCACHE), so a warm run compiles only what changed, as a BuildKit cache mount would.
		cacheDir, err := CacheDir()
		if err != nil {
			return err
		}
		goCache := filepath.Join(cacheDir, "image-go-build")
		if err := os.MkdirAll(goCache, 0o755); err != nil {
			return err
		}
		if _, err := b.buildah(ctx, root, "build", "--quiet", "--isolation", "chroot", "--pull=never",
			"--volume", goCache+":/tmp/go-build", "--build-arg", "VERSION=e2e", "-f", "Dockerfile.scratch",
			"-t", "kcurl", "-t", KcurlImage, "."); err != nil {
			return err
		}
		return export(KcurlImage, "docker.io/library/"+KcurlImage)
	})
	if err != nil {
		return imgs, err
	}
	err = step("distroless recipe", func() error {
		baseDir := filepath.Join(dir, "distroless")
		if err := os.MkdirAll(filepath.Join(baseDir, "etc"), 0o755); err != nil {
			return err
		}
		files := map[string]string{
			"etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
			"etc/group":  "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
			"Dockerfile": "FROM scratch\nCOPY etc /etc\nUSER 65532\nWORKDIR /home/nonroot\n",
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(baseDir, name), []byte(data), 0o644); err != nil {
				return err
			}
		}
		if _, err := b.buildah(ctx, baseDir, "build", "--quiet", "--isolation", "chroot", "--pull=never", "-t", distrolessBase, "."); err != nil {
			return err
		}
		recipeDir := filepath.Join(dir, "recipe")
		if err := os.MkdirAll(recipeDir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(recipeDir, "Dockerfile"), []byte(DistrolessDockerfile), 0o644); err != nil {
			return err
		}
		if _, err := b.buildah(ctx, recipeDir, "build", "--quiet", "--isolation", "chroot", "--pull=never", "-t", DistrolessImage, "."); err != nil {
			return err
		}
		return export(DistrolessImage, "docker.io/library/"+DistrolessImage)
	})
	return imgs, err
}

// goBuilder makes GoBuilderImage from this machine's Go toolchain: GOROOT, a /bin/sh for RUN (dash and the
// libraries ldd names), and a module cache with kcurl's modules, since the build stage's `go mod download` has no
// proxy to reach (GOPROXY=off).
func (b builder) goBuilder(ctx context.Context, dir, repoRoot string) error {
	goroot := runtime.GOROOT()
	if out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output(); err == nil {
		goroot = strings.TrimSpace(string(out))
	}
	modcache := filepath.Join(dir, "gomodcache")
	// The host's own module cache first, so a warm machine downloads nothing.
	hostCache, _ := exec.CommandContext(ctx, "go", "env", "GOMODCACHE").Output()
	proxy, _ := exec.CommandContext(ctx, "go", "env", "GOPROXY").Output()
	download := exec.CommandContext(ctx, "go", "mod", "download")
	download.Dir = repoRoot
	download.Env = append(os.Environ(), "GOMODCACHE="+modcache, "GOFLAGS=-modcacherw", "GOWORK=off",
		"GOPROXY=file://"+filepath.Join(strings.TrimSpace(string(hostCache)), "cache", "download")+","+strings.TrimSpace(string(proxy)))
	if out, err := download.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod download for the builder image: %w\n%s", err, out)
	}
	shell, err := exec.LookPath("dash")
	if err != nil {
		return fmt.Errorf("the builder image needs dash for /bin/sh: %w", err)
	}
	ldd, err := exec.CommandContext(ctx, "ldd", shell).Output()
	if err != nil {
		return fmt.Errorf("ldd %s: %w", shell, err)
	}
	slim := filepath.Join(dir, "goroot")
	if err := slimGoroot(goroot, slim); err != nil {
		return err
	}
	ctr, err := b.buildah(ctx, dir, "from", "--quiet", "scratch")
	if err != nil {
		return err
	}
	copies := [][2]string{{slim, "/usr/local/go"}, {modcache, "/go/pkg/mod"}, {shell, "/bin/sh"}}
	for _, f := range strings.Fields(string(ldd)) {
		if strings.HasPrefix(f, "/") {
			copies = append(copies, [2]string{f, f})
		}
	}
	for _, c := range copies {
		src, err := filepath.EvalSymlinks(c[0])
		if err != nil {
			return err
		}
		if _, err := b.buildah(ctx, dir, "copy", "--quiet", ctr, src, c[1]); err != nil {
			return err
		}
	}
	tmp := filepath.Join(dir, "emptytmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	if _, err := b.buildah(ctx, dir, "copy", "--quiet", "--chmod", "1777", ctr, tmp, "/tmp"); err != nil {
		return err
	}
	if _, err := b.buildah(ctx, dir, "config",
		"--env", "PATH=/usr/local/go/bin:/usr/bin:/bin", "--env", "GOPATH=/go", "--env", "GOMODCACHE=/go/pkg/mod",
		"--env", "GOCACHE=/tmp/go-build", "--env", "GOPROXY=off", "--env", "GOTOOLCHAIN=local", "--env", "GOFLAGS=-modcacherw",
		"--workingdir", "/go", ctr); err != nil {
		return err
	}
	_, err = b.buildah(ctx, dir, "commit", "--quiet", "--rm", ctr, GoBuilderImage)
	return err
}

// slimGoroot links into dst the part of goroot that building a static program needs: the go command, the
// compiler, assembler and linker, the standard library's sources without tests, and GOROOT's go.env and VERSION.
// That is about 110 MB of the 270 MB, and every copy buildah's vfs driver makes of it is that much shorter.
func slimGoroot(goroot, dst string) error {
	keepTop := map[string]bool{"bin": true, "pkg": true, "src": true, "VERSION": true, "go.env": true}
	keepTools := map[string]bool{"compile": true, "link": true, "asm": true, "buildid": true, "cgo": true}
	return filepath.WalkDir(goroot, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(goroot, path)
		if err != nil {
			return err
		}
		parts := strings.Split(rel, string(filepath.Separator))
		switch {
		case rel == ".":
		case !keepTop[parts[0]],
			rel == filepath.Join("src", "cmd"),
			d.Name() == "testdata",
			len(parts) == 4 && parts[1] == "tool" && !keepTools[parts[3]],
			!d.IsDir() && strings.HasSuffix(d.Name(), "_test.go"):
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm())
		case d.Type()&os.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			// A hard link costs nothing; across file systems, a copy.
			if err := os.Link(path, target); err == nil {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
	})
}
