//go:build !linux

package harness

import (
	"context"
	"errors"
	"net"
)

// dialIn has no network namespaces to enter off Linux; a node (which needs them) is Linux only.
func dialIn(path string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if path == "" {
		return nil
	}
	return func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("network namespaces are Linux only")
	}
}
