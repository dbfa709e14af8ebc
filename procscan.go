package main

// The debug-container scan: finding the debugged container's service account through
// /proc/PID/root, and reading files inside another process's root. It sits apart from
// token.go because it is a concern of its own (Linux path resolution, ownership, user
// namespaces) that token.go only asks one question of: which folder, and its files.
//
// Another process's folder is hostile until shown otherwise: a process can plant files,
// FIFOs and symlinks that lead out of its root (through /proc/<victim>/root) in a mount
// namespace of its own. So every file is opened inside that root with no magic links
// (openat2 RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS, or a walk that does the same), without
// blocking, and must be a regular file; the automatic scan also wants the owners and
// modes the kubelet gives, and the process in kcurl's own user namespace.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// maxProcsScanned bounds the search for another process's service account.
const maxProcsScanned = 4096

// serviceAccountFiles are what the kubelet puts in a service-account folder.
var serviceAccountFiles = []string{"token", "ca.crt", "namespace"}

// errNotRegular is a local file kcurl refuses to read because it is not a regular file.
var errNotRegular = errors.New("not a regular file")

// findServiceAccount looks, in PID order, for another process whose own root holds a
// service-account folder that the kubelet could have made for it: with a shared
// process namespace, the debugged container's. skipped says why others were not used.
func findServiceAccount(procDir string, self int, deadline time.Time) (pid int, sa serviceAccount, skipped []string, err error) {
	selfNS, err := userNamespace(procDir, "self")
	if err != nil {
		return 0, serviceAccount{}, nil, nil // no way to tell a pod's process from another's: trust none
	}
	entries, err := os.ReadDir(procDir)
	if err != nil {
		return 0, serviceAccount{}, nil, nil
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
		if !deadline.IsZero() && time.Now().After(deadline) {
			return 0, serviceAccount{}, skipped, exitErrorf(exitTimeout, "gave up looking for another process's service account after %d of %d processes", i, len(pids))
		}
		sa, err := candidate(procDir, pid, selfNS)
		if errors.Is(err, errNoFolder) {
			continue
		}
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("PID %d: %v", pid, err))
			continue
		}
		return pid, sa, skipped, nil
	}
	return 0, serviceAccount{}, skipped, nil
}

// errNoFolder is a process without a service-account folder: no reason to mention it.
var errNoFolder = errors.New("no service-account folder")

// candidate is process pid's service account when the automatic scan may use it: the
// process shares kcurl's user namespace, and its token, ca.crt and namespace are what
// the kubelet makes for it (regular files inside its root, owned and moded as the
// kubelet does; see kubeletMade).
func candidate(procDir string, pid int, selfNS fileID) (serviceAccount, error) {
	sa, err := serviceAccountOf(procDir, pid)
	if err != nil {
		return serviceAccount{}, errNoFolder
	}
	if !sa.has("token") {
		return serviceAccount{}, errNoFolder
	}
	ns, err := userNamespace(procDir, strconv.Itoa(pid))
	if err != nil || ns != selfNS {
		return serviceAccount{}, errors.New("not in kcurl's user namespace")
	}
	creds, err := readProcCreds(filepath.Join(procDir, strconv.Itoa(pid), "status"))
	if err != nil {
		return serviceAccount{}, fmt.Errorf("no credentials: %v", fileProblem(err))
	}
	for _, name := range serviceAccountFiles {
		if name != "token" && !sa.has(name) {
			continue // the kubelet always writes all three, but a folder without one is still usable
		}
		if err := checkFile(sa, name, creds); err != nil {
			return serviceAccount{}, fmt.Errorf("%s: %v", name, err)
		}
	}
	return sa, nil
}

// checkFile says whether the folder's file name is one the kubelet could have made
// for a process with creds. ca.crt must also be the file kcurl reads by its path (the
// trust store opens it so): a folder whose links lead elsewhere from kcurl's root than
// from the process's is refused.
func checkFile(sa serviceAccount, name string, creds procCreds) error {
	st, err := sa.stat(name)
	if err != nil {
		return err
	}
	if err := kubeletMade(fileAttrs{uid: st.Uid, gid: st.Gid, mode: st.Mode & 0o7777}, creds); err != nil {
		return err
	}
	if name != "ca.crt" {
		return nil
	}
	return sameByPath(sa, name, st)
}

// sameByPath says whether the folder's file name, opened by its path from kcurl's own
// root, is the file st describes, opened inside the process's root. The trust store
// reads ca.crt by its path; a link that leads elsewhere from kcurl's root must not
// choose kcurl's trust anchor.
func sameByPath(sa serviceAccount, name string, st syscall.Stat_t) error {
	byPath, err := openRegular(filepath.Join(sa.dir, name))
	if err != nil {
		return fmt.Errorf("by its path from kcurl's root: %s", fileProblem(err))
	}
	defer byPath.Close()
	var pst syscall.Stat_t
	if err := syscall.Fstat(int(byPath.Fd()), &pst); err != nil || pst.Dev != st.Dev || pst.Ino != st.Ino {
		return errors.New("its path from kcurl's root leads to another file")
	}
	return nil
}

// checkChosen holds a folder chosen by --from-pid to the path rules (inside its root,
// no magic links, regular files) for its ca.crt, which is read once and by its path;
// the token and namespace are opened inside the root each time they are read.
func checkChosen(sa serviceAccount) error {
	if !sa.has("ca.crt") {
		return nil
	}
	st, err := sa.stat("ca.crt")
	if err != nil {
		return err
	}
	return sameByPath(sa, "ca.crt", st)
}

// fileAttrs are a file's owner and permission bits.
type fileAttrs struct{ uid, gid, mode uint32 }

// procCreds are a process's file-system uid, gid and supplementary groups, as
// /proc/PID/status gives them in kcurl's user namespace.
type procCreds struct {
	uid, gid uint32
	groups   []uint32
}

// inGroup reports whether gid is the process's group or one of its supplementary
// groups (where the kubelet's fsGroup is).
func (p procCreds) inGroup(gid uint32) bool {
	if gid == p.gid {
		return true
	}
	for _, g := range p.groups {
		if g == gid {
			return true
		}
	}
	return false
}

// kubeletMade says whether a service-account file with these owner and mode bits
// could be the kubelet's for a process with creds, and if not, why. The kubelet's
// projected volume gives root:root 0644 by default, root:fsGroup 0640 (or 0440) with an
// fsGroup, and runAsUser 0600 when every container runs as that user. So: owned by root
// or the process, group root or one of the process's, never writable by others nor by
// a group the process is not in, and readable by the process itself, so that no folder
// makes kcurl read what its own process cannot.
func kubeletMade(f fileAttrs, p procCreds) error {
	switch {
	case f.uid != 0 && f.uid != p.uid:
		return fmt.Errorf("owned by uid %d, neither root nor the process's uid %d", f.uid, p.uid)
	case f.gid != 0 && !p.inGroup(f.gid):
		return fmt.Errorf("group %d is neither root nor one of the process's groups", f.gid)
	case f.mode&0o002 != 0:
		return fmt.Errorf("writable by others (mode %04o)", f.mode)
	case f.mode&0o020 != 0 && !p.inGroup(f.gid):
		return fmt.Errorf("writable by group %d, not the process's (mode %04o)", f.gid, f.mode)
	case !readableBy(f, p):
		return fmt.Errorf("the process itself cannot read it (mode %04o, owner %d:%d)", f.mode, f.uid, f.gid)
	}
	return nil
}

// readableBy is the kernel's permission check for reading, as process p.
func readableBy(f fileAttrs, p procCreds) bool {
	switch {
	case p.uid == 0:
		return true
	case f.uid == p.uid:
		return f.mode&0o400 != 0
	case p.inGroup(f.gid):
		return f.mode&0o040 != 0
	}
	return f.mode&0o004 != 0
}

// readProcCreds parses the Uid, Gid and Groups lines of /proc/PID/status; it takes the
// file-system ids (the fourth), which are the ones the kernel checks access with.
func readProcCreds(status string) (procCreds, error) {
	b, err := readBounded(status, 64<<10)
	if err != nil {
		return procCreds{}, err
	}
	var p procCreds
	var have int
	for _, line := range strings.Split(string(b), "\n") {
		key, value, _ := strings.Cut(line, ":")
		fields := strings.Fields(value)
		switch {
		case (key == "Uid" || key == "Gid") && len(fields) == 4:
			id, err := strconv.ParseUint(fields[3], 10, 32)
			if err != nil {
				return procCreds{}, fmt.Errorf("bad %s line", key)
			}
			if key == "Uid" {
				p.uid = uint32(id)
			} else {
				p.gid = uint32(id)
			}
			have++
		case key == "Groups":
			for _, f := range fields {
				g, err := strconv.ParseUint(f, 10, 32)
				if err != nil {
					return procCreds{}, errors.New("bad Groups line")
				}
				p.groups = append(p.groups, uint32(g))
			}
		}
	}
	if have != 2 {
		return procCreds{}, errors.New("no Uid and Gid lines")
	}
	return p, nil
}

// fileID names a file (here: a namespace) by device and inode.
type fileID struct{ dev, ino uint64 }

// userNamespace identifies the user namespace of procDir/pid by its ns/user file: on
// /proc the kernel's namespace inode, in a test's tree a file of its own.
func userNamespace(procDir, pid string) (fileID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(procDir, pid, "ns", "user"), &st); err != nil {
		return fileID{}, err
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, nil
}

// serviceAccountOf is the service-account folder as process pid sees it; its files
// are opened inside that process's root.
func serviceAccountOf(procDir string, pid int) (serviceAccount, error) {
	root := filepath.Join(procDir, strconv.Itoa(pid), "root")
	f, err := openInRoot(root, serviceAccountDir, oPath|syscall.O_DIRECTORY)
	if err != nil {
		return serviceAccount{}, exitErrorf(exitReadError, "no service account for PID %d: %s: %s", pid, filepath.Join(root, serviceAccountDir), fileProblem(err))
	}
	f.Close()
	dir, err := resolveInRoot(root, serviceAccountDir)
	if err != nil {
		dir = filepath.Join(root, serviceAccountDir)
	}
	return serviceAccount{dir: dir, root: root}, nil
}

// has reports whether the folder holds name, of whatever kind.
func (sa serviceAccount) has(name string) bool {
	if sa.root == "" {
		return fileExists(filepath.Join(sa.dir, name))
	}
	f, err := openInRoot(sa.root, serviceAccountDir+"/"+name, oPath|syscall.O_NOFOLLOW)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// open opens one of the folder's files for reading, without blocking; a file in
// another process's root is opened inside that root.
func (sa serviceAccount) open(name string) (*os.File, error) {
	if sa.root == "" {
		return openRegular(filepath.Join(sa.dir, name))
	}
	return regularOnly(openInRoot(sa.root, serviceAccountDir+"/"+name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY))
}

// stat is what fstat says of one of the folder's files, opened as open opens it.
func (sa serviceAccount) stat(name string) (syscall.Stat_t, error) {
	var st syscall.Stat_t
	f, err := sa.open(name)
	if err != nil {
		return st, errors.New(fileProblem(err))
	}
	defer f.Close()
	err = syscall.Fstat(int(f.Fd()), &st)
	return st, err
}

// readFile reads one of the folder's files, bounded; see open.
func (sa serviceAccount) readFile(name string, limit int64) ([]byte, error) {
	f, err := sa.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllBounded(f, limit)
}

// Linux's openat2(2); the syscall package has neither the call nor its constants.
const (
	sysOpenat2          = 437
	resolveNoMagiclinks = 0x02
	resolveInRootFlag   = 0x10
	// oPath is O_PATH, which the syscall package lacks.
	oPath = 0x200000
)

// openHow is openat2's struct open_how.
type openHow struct{ flags, mode, resolve uint64 }

// openInRoot opens name inside root as a process with that root would resolve it:
// absolute symlinks and ".." stay inside root, and no magic link (/proc/PID/root,
// /proc/PID/fd/N) is followed. Kernels before 5.6, and seccomp profiles that refuse
// openat2, get an equivalent walk.
func openInRoot(root, name string, flags int) (*os.File, error) {
	rootFD, err := syscall.Open(root, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	defer syscall.Close(rootFD)
	rel := strings.TrimLeft(name, "/")
	fd, err := openat2InRoot(rootFD, rel, flags)
	// ENOSYS: a kernel before 5.6; EPERM: a seccomp profile older than openat2 that
	// refuses what it does not know. The walk applies the same rules.
	if err == syscall.ENOSYS || err == syscall.EPERM {
		fd, err = walkInRoot(rootFD, rel, flags)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: filepath.Join(root, name), Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(root, name)), nil
}

// openat2InRoot is openat2 with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS; EAGAIN (a rename
// raced the lookup) is retried a few times.
func openat2InRoot(rootFD int, rel string, flags int) (int, error) {
	p, err := syscall.BytePtrFromString(rel)
	if err != nil {
		return -1, err
	}
	how := openHow{flags: uint64(flags | syscall.O_CLOEXEC), resolve: resolveInRootFlag | resolveNoMagiclinks}
	for try := 0; ; try++ {
		fd, _, errno := syscall.Syscall6(sysOpenat2, uintptr(rootFD), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		if errno == syscall.EAGAIN && try < 8 {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(fd), nil
	}
}

// procSuperMagic is procfs's f_type: every symlink on it may be a magic link.
const procSuperMagic = 0x9fa0

// maxSymlinks is the kernel's bound on symlinks followed in one lookup.
const maxSymlinks = 40

// walkInRoot resolves rel under rootFD one component at a time, as openat2 with
// RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS does: each component is opened with O_NOFOLLOW,
// a symlink's target is resolved by this walk (an absolute one from root again, ".."
// never above root), and a symlink on procfs is refused.
func walkInRoot(rootFD int, rel string, flags int) (int, error) {
	first, err := syscall.Dup(rootFD)
	if err != nil {
		return -1, err
	}
	dirs := []int{first} // dirs[len-1] is where the walk is; ".." pops
	defer func() {
		for _, fd := range dirs {
			syscall.Close(fd)
		}
	}()
	parts := strings.Split(rel, "/")
	for links := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(dirs) > 1 {
				syscall.Close(dirs[len(dirs)-1])
				dirs = dirs[:len(dirs)-1]
			}
			continue
		}
		cur := dirs[len(dirs)-1]
		fd, st, err := lookupAt(cur, part)
		if err != nil {
			return -1, err
		}
		switch {
		case st.Mode&syscall.S_IFMT == syscall.S_IFLNK:
			target, err := readlinkOnce(fd, cur, part)
			syscall.Close(fd)
			if err != nil {
				return -1, err
			}
			if links++; links > maxSymlinks {
				return -1, syscall.ELOOP
			}
			if strings.HasPrefix(target, "/") {
				for _, d := range dirs[1:] {
					syscall.Close(d)
				}
				dirs = dirs[:1]
			}
			parts = append(strings.Split(target, "/"), parts...)
		case len(parts) == 0:
			syscall.Close(fd)
			// O_NOFOLLOW: if the name became a symlink since, this fails instead of following it.
			return syscall.Openat(cur, part, flags|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
		case st.Mode&syscall.S_IFMT != syscall.S_IFDIR:
			syscall.Close(fd)
			return -1, syscall.ENOTDIR
		default:
			dirs = append(dirs, fd)
		}
	}
	return syscall.Openat(dirs[len(dirs)-1], ".", flags|syscall.O_CLOEXEC, 0)
}

// lookupAt opens part in dir as a path (O_PATH: nothing is read, a FIFO does not
// block) without following it, and says what it is.
func lookupAt(dir int, part string) (int, syscall.Stat_t, error) {
	var st syscall.Stat_t
	fd, err := syscall.Openat(dir, part, oPath|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, st, err
	}
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return -1, st, err
	}
	return fd, st, nil
}

// readlinkOnce is the target of the symlink open as fd (named part in dir), refusing
// procfs's magic links.
func readlinkOnce(fd, dir int, part string) (string, error) {
	var fs syscall.Statfs_t
	if err := syscall.Fstatfs(fd, &fs); err != nil {
		return "", err
	}
	if fs.Type == procSuperMagic {
		return "", syscall.ELOOP
	}
	name, err := syscall.BytePtrFromString(part)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 4096)
	n, _, errno := syscall.Syscall6(syscall.SYS_READLINKAT, uintptr(dir), uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if errno != 0 {
		return "", errno
	}
	if int(n) >= len(buf) {
		return "", syscall.ENAMETOOLONG
	}
	return string(buf[:n]), nil
}

// resolveInRoot is where path lies inside root, as a process with that root would
// resolve it (an absolute symlink such as /var/run -> /run starts again at root): the
// name -v shows for another process's folder. Files are never opened by this name.
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
		if hops++; hops > maxSymlinks {
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

// mustBeRegular refuses an open file that is not a regular file.
func mustBeRegular(f *os.File) error {
	fi, err := f.Stat()
	switch {
	case err != nil:
		return err
	case fi.IsDir():
		return errIsDir
	case !fi.Mode().IsRegular():
		return errNotRegular
	}
	return nil
}

// readAllBounded reads f whole, failing past limit bytes.
func readAllBounded(f io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// scanDeadline is when the search for another process's service account gives up:
// the scan is part of connecting, so it gets the smaller of --connect-timeout and -m,
// and no bound when neither is given (no file it opens can block).
func scanDeadline(o connOptions) time.Time {
	budget := o.maxTime
	if c := o.transport.connectTimeout; c > 0 && (budget == 0 || c < budget) {
		budget = c
	}
	if budget == 0 {
		return time.Time{}
	}
	return time.Now().Add(budget)
}
