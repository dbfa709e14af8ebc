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
			// The thread stays locked and so ends with this goroutine: no other goroutine ever runs in the test's
			// namespace by accident, and nothing has to switch back.
			runtime.LockOSThread()
			if err := enterNetNS(path); err != nil {
				done <- result{err: err}
				return
			}
			var d net.Dialer
			conn, err := d.DialContext(ctx, network, addr)
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
	if _, _, errno := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); errno != 0 {
		return fmt.Errorf("setns %s: %w", path, errno)
	}
	return nil
}
