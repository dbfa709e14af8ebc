//go:build tools

// Package tools pins the kube-apiserver and kubelet main packages so that `go mod tidy` keeps their dependencies;
// both come from one k8s.io/kubernetes, so the kubelet's build reuses most of kube-apiserver's build cache.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
