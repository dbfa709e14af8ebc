//go:build !linux

package harness

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// NodeName is the name the kubelet registers its Node under.
const NodeName = "kcurl-node"

// Image names, as on Linux, so callers compile everywhere.
const (
	KcurlImage      = "kcurl:e2e"
	DistrolessImage = "kcurl-distroless:e2e"
)

// ErrNoNode says this machine cannot run a node.
var ErrNoNode = errors.New("cannot run a node")

// NodeOptions configures StartNode.
type NodeOptions struct {
	Binaries Binaries
	Kubelet  string
	Images   []string
	Logf     func(format string, args ...any)
}

// Node is a kubelet and its runtime: Linux only.
type Node struct {
	Cluster *Cluster
	Name    string
	Dir     string
}

// Images are image archives for a node: Linux only.
type Images struct {
	Archives []string
	Took     map[string]time.Duration
}

// NodeRequirements says a node needs Linux.
func NodeRequirements() error {
	return fmt.Errorf("%w: needs Linux (network namespaces, cgroups, runc)", ErrNoNode)
}

// StartNode fails off Linux.
func StartNode(context.Context, NodeOptions) (*Node, error) { return nil, NodeRequirements() }

// BuildImages fails off Linux.
func BuildImages(context.Context, string, func(string, ...any)) (Images, error) {
	return Images{}, NodeRequirements()
}

// CleanStaleNodes has nothing to clean off Linux.
func CleanStaleNodes(func(string, ...any)) {}

// Stop does nothing off Linux.
func (n *Node) Stop(context.Context) {}

// LogTail is empty off Linux.
func (n *Node) LogTail(int) string { return "" }
