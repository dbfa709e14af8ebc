package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
)

// dialIn returns a DialContext that opens its sockets inside the network namespace at path, or nil (net/http's own
// dialer) when path is empty. A socket belongs to the namespace it was made in, so only the dial needs to be there.
func dialIn(path string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if path == "" {
		return nil
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			conn net.Conn
			err  error
		}
		done := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			// Back to the original namespace before the thread is unlocked. A thread that ended instead would take
			// with it the servers it had started: their parent-death signal fires when the thread that forked
			// them exits, not the process, and this goroutine may run on that very thread.
			orig, err := os.Open("/proc/thread-self/ns/net")
			if err != nil {
				runtime.UnlockOSThread()
				done <- result{err: err}
				return
			}
			defer orig.Close()
			if err := enterNetNS(path); err != nil {
				runtime.UnlockOSThread()
				done <- result{err: err}
				return
			}
			var d net.Dialer
			conn, err := d.DialContext(ctx, network, addr)
			if setns(orig) == nil {
				runtime.UnlockOSThread()
			} // else the thread stays locked and ends with the goroutine, never running anything else
			done <- result{conn, err}
		}()
		r := <-done
		return r.conn, r.err
	}
}

// sysSetns is setns(2)'s system call number: package syscall names it for arm64 only.
var sysSetns = map[string]uintptr{"amd64": 308, "arm64": 268, "riscv64": 268, "386": 346, "arm": 375, "ppc64le": 350, "s390x": 339}[runtime.GOARCH]

// enterNetNS moves the calling thread into the network namespace at path.
func enterNetNS(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := setns(f); err != nil {
		return fmt.Errorf("setns %s: %w", path, err)
	}
	return nil
}

// setns moves the calling thread into the network namespace that f is open on.
func setns(f *os.File) error {
	if _, _, errno := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); errno != 0 {
		return errno
	}
	return nil
}
