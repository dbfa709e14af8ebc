package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestKubeletMade(t *testing.T) {
	pod := procCreds{uid: 1000, gid: 3000, groups: []uint32{3000, 2000}} // runAsUser 1000, runAsGroup 3000, fsGroup 2000
	root := procCreds{}
	tests := []struct {
		name string
		file fileAttrs
		proc procCreds
		want string
	}{
		{name: "default: root:root 0644", file: fileAttrs{0, 0, 0o644}, proc: pod},
		{name: "fsGroup: root:fsGroup 0640", file: fileAttrs{0, 2000, 0o640}, proc: pod},
		{name: "fsGroup, read-only: root:fsGroup 0440", file: fileAttrs{0, 2000, 0o440}, proc: pod},
		{name: "runAsUser: 1000:fsGroup 0600", file: fileAttrs{1000, 2000, 0o600}, proc: pod},
		{name: "group write for the process's own group", file: fileAttrs{0, 2000, 0o660}, proc: pod},
		{name: "root process, root:root 0600", file: fileAttrs{0, 0, 0o600}, proc: root},
		{name: "another uid", file: fileAttrs{1001, 0, 0o644}, proc: pod, want: "owned by uid 1001, neither root nor the process's uid 1000"},
		{name: "another group", file: fileAttrs{0, 4000, 0o640}, proc: pod, want: "group 4000 is neither root nor one of the process's groups"},
		{name: "writable by others", file: fileAttrs{0, 0, 0o646}, proc: pod, want: "writable by others (mode 0646)"},
		{name: "world-writable, the process's own", file: fileAttrs{1000, 3000, 0o666}, proc: pod, want: "writable by others (mode 0666)"},
		{name: "writable by root's group", file: fileAttrs{0, 0, 0o664}, proc: pod, want: "writable by group 0, not the process's (mode 0664)"},
		{name: "a root-only file", file: fileAttrs{0, 0, 0o600}, proc: pod, want: "the process itself cannot read it (mode 0600, owner 0:0)"},
		{name: "root's group only", file: fileAttrs{0, 0, 0o640}, proc: pod, want: "the process itself cannot read it (mode 0640, owner 0:0)"},
		{name: "owner without read", file: fileAttrs{1000, 0, 0o244}, proc: pod, want: "the process itself cannot read it (mode 0244, owner 1000:0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			err := kubeletMade(tt.file, tt.proc)
			if tt.want == "" {
				is.NoErr(err)
				return
			}
			is.True(err != nil) // refused
			is.Equal(err.Error(), tt.want)
		})
	}
}

func TestReadProcCreds(t *testing.T) {
	tests := []struct {
		name   string
		status string
		want   procCreds
		err    string
	}{
		{name: "fs ids, groups", status: "Name:\tsh\nUid:\t1000\t1001\t1002\t1003\nGid:\t2000\t2001\t2002\t2003\nGroups:\t5 6 \n", want: procCreds{uid: 1003, gid: 2003, groups: []uint32{5, 6}}},
		{name: "no groups", status: "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n", want: procCreds{}},
		{name: "no Gid", status: "Uid:\t0\t0\t0\t0\n", err: "no Uid and Gid lines"},
		{name: "bad uid", status: "Uid:\t0\t0\t0\tx\nGid:\t0\t0\t0\t0\n", err: "bad Uid line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			file := filepath.Join(t.TempDir(), "status")
			is.NoErr(os.WriteFile(file, []byte(tt.status), 0o644))
			got, err := readProcCreds(file)
			if tt.err != "" {
				is.Equal(err.Error(), tt.err)
				return
			}
			is.NoErr(err)
			is.Equal(got, tt.want)
		})
	}
}

// kubeletRoot is a process root as a container image and the kubelet make it:
// /var/run -> /run, and the projected volume's token -> ..data/token, ..data ->
// ..<timestamp>. Beside it lies outside/secret, which no lookup inside root may reach;
// root holds a decoy outside/secret of its own, where an escape resolved in root lands.
func kubeletRoot(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	sa := filepath.Join(root, "run", "secrets", "kubernetes.io", "serviceaccount")
	stamp := filepath.Join(sa, "..2026_12_01_22_00_00.000000001")
	for _, d := range []string{stamp, filepath.Join(root, "var"), filepath.Join(base, "outside"), filepath.Join(root, "outside")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	outside = filepath.Join(base, "outside", "secret")
	files := map[string]string{filepath.Join(stamp, "token"): "kubelet", outside: secretPrefix + "outside", filepath.Join(root, "outside", "secret"): "decoy"}
	for file, content := range files {
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		filepath.Join(root, "var", "run"): "/run",
		filepath.Join(sa, "..data"):       filepath.Base(stamp),
		filepath.Join(sa, "token"):        "..data/token",
		filepath.Join(sa, "absolute"):     outside,
		filepath.Join(sa, "climb"):        "../../../../../../../../outside/secret",
		filepath.Join(sa, "loop"):         "loop2",
		filepath.Join(sa, "loop2"):        "loop",
		filepath.Join(sa, "dir"):          "/run/secrets",
		filepath.Join(sa, "fifo-link"):    "/fifo",
	}
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, outside
}

// TestOpenInRoot runs both resolvers, openat2's and the walk for older kernels, over
// the kubelet's layout and the ways out of a root.
func TestOpenInRoot(t *testing.T) {
	root, outside := kubeletRoot(t)
	const sa = "var/run/secrets/kubernetes.io/serviceaccount/"
	tests := []struct {
		name string
		root string
		path string
		want string // the file's content, or the error
	}{
		{name: "the kubelet's layout", root: root, path: sa + "token", want: "kubelet"},
		{name: "from / again", root: root, path: "/" + sa + "token", want: "kubelet"},
		{name: ".. stops at root", root: root, path: "../../" + sa + "token", want: "kubelet"},
		{name: "an absolute symlink stays inside", root: root, path: sa + "absolute", want: "no such file or directory"},
		{name: "a climbing symlink stays inside", root: root, path: sa + "climb", want: "decoy"},
		{name: "a symlink loop", root: root, path: sa + "loop", want: "too many levels of symbolic links"},
		{name: "a FIFO opens without blocking", root: root, path: sa + "fifo-link", want: "FIFO"},
		{name: "a directory", root: root, path: sa + "dir", want: "directory"},
		{name: "a magic link: /proc/self/root", root: "/", path: "proc/self/root" + outside, want: "too many levels of symbolic links"},
		{name: "a magic link: /proc/self/cwd", root: "/", path: "proc/self/cwd/x", want: "too many levels of symbolic links"},
	}
	resolvers := []struct {
		name string
		open func(rootFD int, rel string, flags int) (int, error)
	}{{"openat2", openat2InRoot}, {"walk", walkInRoot}}
	for _, r := range resolvers {
		for _, tt := range tests {
			t.Run(r.name+"/"+tt.name, func(t *testing.T) {
				is := is.New(t)
				rootFD, err := syscall.Open(tt.root, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
				is.NoErr(err)
				defer syscall.Close(rootFD)
				fd, err := r.open(rootFD, strings.TrimLeft(tt.path, "/"), syscall.O_RDONLY|syscall.O_NONBLOCK)
				if err != nil {
					is.Equal(err.Error(), tt.want)
					return
				}
				f := os.NewFile(uintptr(fd), tt.path)
				defer f.Close()
				fi, err := f.Stat()
				is.NoErr(err)
				switch {
				case fi.IsDir():
					is.Equal("directory", tt.want)
				case fi.Mode()&os.ModeNamedPipe != 0:
					is.Equal("FIFO", tt.want)
				default:
					b, err := readAllBounded(f, 100)
					is.NoErr(err)
					is.Equal(string(b), tt.want)
				}
			})
		}
	}
}

// TestScanRefusesFolders plants, in the fake /proc's process 7, what the kubelet never
// makes; the scan must pass it by, say why under -v, and send no token.
func TestScanRefusesFolders(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	caArg := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caArg, pki.caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		plant func(t *testing.T, proc, sa string)
		why   string
	}{
		{name: "a world-writable token", why: "token: writable by others (mode 0666)", plant: func(t *testing.T, _, sa string) {
			os.Chmod(filepath.Join(sa, "token"), 0o666)
		}},
		{name: "a token of another owner", why: "token: owned by uid 12345, neither root nor the process's uid 0", plant: func(t *testing.T, _, sa string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give a file away")
			}
			os.Chown(filepath.Join(sa, "token"), 12345, 0)
		}},
		{name: "a namespace file only root can read", why: "namespace: the process itself cannot read it (mode 0600, owner 0:0)", plant: func(t *testing.T, proc, _ string) {
			if os.Geteuid() != 0 {
				t.Skip("needs root to own a file the process cannot read")
			}
			os.WriteFile(filepath.Join(proc, "7", "status"), []byte("Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t\n"), 0o444)
			os.Chmod(filepath.Join(proc, "7", "root", "run", "secrets", "kubernetes.io", "serviceaccount", "token"), 0o644)
			os.Chmod(filepath.Join(proc, "7", "root", "run", "secrets", "kubernetes.io", "serviceaccount", "ca.crt"), 0o644)
		}},
		{name: "another user namespace", why: "not in kcurl's user namespace", plant: func(t *testing.T, proc, _ string) {
			os.Remove(filepath.Join(proc, "7", "ns", "user"))
			os.WriteFile(filepath.Join(proc, "7", "ns", "user"), nil, 0o444)
		}},
		{name: "a FIFO as token", why: "token: not a regular file", plant: func(t *testing.T, _, sa string) {
			os.Remove(filepath.Join(sa, "token"))
			syscall.Mkfifo(filepath.Join(sa, "token"), 0o600)
		}},
		{name: "a token linked out of the root", why: "token: no such file", plant: func(t *testing.T, proc, sa string) {
			secret := filepath.Join(t.TempDir(), "secret")
			os.WriteFile(secret, []byte(secretPrefix+"outside"), 0o600)
			os.Remove(filepath.Join(sa, "token"))
			os.Symlink(secret, filepath.Join(sa, "token"))
		}},
		{name: "a ca.crt whose path from kcurl's root leads elsewhere", why: "ca.crt: its path from kcurl's root leads to another file", plant: func(t *testing.T, proc, sa string) {
			inside := filepath.Join(proc, "7", "root", caArg)
			os.MkdirAll(filepath.Dir(inside), 0o755)
			os.WriteFile(inside, pki.caPEM, 0o644)
			os.Remove(filepath.Join(sa, "ca.crt"))
			os.Symlink(caArg, filepath.Join(sa, "ca.crt"))
		}},
		{name: "a ca.crt linked out of the root", why: "ca.crt: no such file", plant: func(t *testing.T, proc, sa string) {
			os.Remove(filepath.Join(sa, "ca.crt"))
			os.Symlink(caArg, filepath.Join(sa, "ca.crt"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec.reqs = nil
			proc, sa := fakeProc(t, pki.caPEM, secretPrefix+"pid7")
			tt.plant(t, proc, sa)
			empty := t.TempDir()
			r, elapsed, ok := kcurlWithin(t, 8*time.Second, invocation{args: []string{"-sSv", "-o", "/dev/null", "-m", "2", "--cacert", caArg, "/x"}, env: apiEnv(srv, empty), procDir: proc})
			is.True(ok)                      // kcurl finished
			is.True(elapsed < 2*time.Second) // within -m 2
			is.Equal(r.code, 0)
			is.Equal(len(rec.all()), 1)                                                                                                       // the request went
			is.Equal(rec.last(t).header.Get("Authorization"), "")                                                                             // without a token
			is.True(strings.Contains(r.stderr, "* no token in "+empty+"; not using another process's service account (PID 7: "+tt.why+")\n")) // -v says why
		})
	}
}

// TestScanDeadline: a scan past its deadline (--connect-timeout, -m) fails with 28,
// as a connection does.
func TestScanDeadline(t *testing.T) {
	is := is.New(t)
	proc, _ := fakeProc(t, []byte("ca"), secretPrefix+"late")
	for pid := 8; pid < 20; pid++ {
		is.NoErr(os.Mkdir(filepath.Join(proc, strconv.Itoa(pid)), 0o755))
	}
	_, _, _, err := findServiceAccount(proc, 1, time.Now().Add(-time.Millisecond))
	var ee *exitError
	is.True(errors.As(err, &ee))
	is.Equal(ee.code, exitTimeout)
	is.Equal(err.Error(), "gave up looking for another process's service account after 0 of 14 processes")
}

func TestScanDeadlineBudget(t *testing.T) {
	tests := []struct {
		name             string
		maxTime, connect time.Duration
		want             time.Duration // 0: no deadline
	}{
		{name: "neither", want: 0},
		{name: "-m", maxTime: 2 * time.Second, want: 2 * time.Second},
		{name: "--connect-timeout", connect: time.Second, want: time.Second},
		{name: "the smaller: --connect-timeout", maxTime: 2 * time.Second, connect: time.Second, want: time.Second},
		{name: "the smaller: -m", maxTime: 2 * time.Second, connect: 3 * time.Second, want: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			o := connOptions{maxTime: tt.maxTime}
			o.transport.connectTimeout = tt.connect
			before := time.Now()
			got := scanDeadline(o)
			if tt.want == 0 {
				is.True(got.IsZero()) // no deadline
				return
			}
			is.True(!got.Before(before.Add(tt.want)))                       // not before the budget
			is.True(got.Before(time.Now().Add(tt.want + time.Millisecond))) // nor after it
		})
	}
}

// TestFolderFilesReadInsideRoot: a folder's token and namespace are absolute links
// that lead, inside the process's root, to files of its own, and from kcurl's root to
// secrets; what is sent is what the process itself would read.
func TestFolderFilesReadInsideRoot(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	outside := t.TempDir()
	for name, content := range map[string]string{"token": secretPrefix + "outside", "namespace": secretPrefix + "ns"} {
		if err := os.WriteFile(filepath.Join(outside, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{nil, {"--from-pid", "7"}} {
		t.Run("the scan"+strings.Join(append([]string{""}, args...), " "), func(t *testing.T) {
			is := is.New(t)
			rec.reqs = nil
			proc, sa := fakeProc(t, pki.caPEM, "unused")
			root := filepath.Join(proc, "7", "root")
			is.NoErr(os.MkdirAll(filepath.Join(root, outside), 0o755))
			for name, content := range map[string]string{"token": "inside-token", "namespace": "inside"} {
				is.NoErr(os.WriteFile(filepath.Join(root, outside, name), []byte(content), 0o644))
				is.NoErr(os.Remove(filepath.Join(sa, name)))
				is.NoErr(os.Symlink(filepath.Join(outside, name), filepath.Join(sa, name)))
			}
			r := kcurl(t, invocation{args: append([]string{"-sS", "/api/v1/namespaces/{namespace}/pods"}, args...), env: apiEnv(srv, t.TempDir()), procDir: proc})
			is.Equal(r.stderr, "")
			is.Equal(r.code, 0)
			is.Equal(rec.last(t).uri, "/api/v1/namespaces/inside/pods")              // the namespace inside the root
			is.Equal(rec.last(t).header.Get("Authorization"), "Bearer inside-token") // the token inside the root
		})
	}
}

// TestScanNoteIsBounded: -v names five processes passed by, then counts the rest.
func TestScanNoteIsBounded(t *testing.T) {
	is := is.New(t)
	proc, sa := fakeProc(t, []byte("ca"), secretPrefix+"x")
	is.NoErr(os.Chmod(filepath.Join(sa, "token"), 0o666))
	for pid := 8; pid < 15; pid++ {
		is.NoErr(os.Symlink("7", filepath.Join(proc, strconv.Itoa(pid)))) // the same world-writable folder
	}
	got, err := chooseServiceAccount(tokenFlags{}, func(string) string { return "/nonexistent" }, proc, 1, time.Time{})
	is.NoErr(err)
	is.Equal(got.dir, "/nonexistent")
	is.Equal(got.note, "no token in /nonexistent; not using another process's service account (PID 7: token: writable by others (mode 0666); "+
		"PID 8: token: writable by others (mode 0666); PID 9: token: writable by others (mode 0666); PID 10: token: writable by others (mode 0666); "+
		"PID 11: token: writable by others (mode 0666); and 3 more)")
}
