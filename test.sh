#!/usr/bin/env bash
# The whole test suite: unit and differential tests of the kcurl package, then the
# end-to-end tests against a real kube-apiserver and etcd on 127.0.0.1, then (as root,
# with containerd, runc, the CNI plugins and buildah installed) kcurl in real pods on a
# real kubelet (e2e/node), which otherwise skips with one line.
# The first run builds kube-apiserver, etcd and the kubelet from the Go module proxy
# (about 10 minutes on 2 cores); later runs reuse them from the user cache dir.
# ./test.sh -short skips the slow parts and says which.
set -euo pipefail
cd "$(dirname "$0")"
for arg in "$@"; do
	if [ "$arg" = "-short" ]; then
		echo "test.sh: -short: skipping the static/arm64 builds, the empty-root run and every test that needs kube-apiserver and etcd or a node"
	fi
done
go test -count=1 "$@" ./...
# The benchmark is a module of its own: its report's arithmetic has tests too.
(cd bench && go test -count=1 "$@" ./...)
# go test shows a passing package's output only under -v, so say here, once, why e2e/node will skip.
missing=""
[ "$(id -u)" = 0 ] || missing="root"
for cmd in containerd containerd-shim-runc-v2 runc ctr buildah nsenter ip; do
	command -v "$cmd" >/dev/null || missing="$missing $cmd"
done
[ -e /usr/lib/cni/bridge ] || [ -e /opt/cni/bin/bridge ] || missing="$missing CNI-bridge-plugin"
if [ -n "$missing" ]; then
	echo "test.sh: e2e/node (kcurl in real pods) skips: needs ${missing# } (as root: apt-get install containerd runc containernetworking-plugins buildah)"
fi
# -p 1: the e2e packages one at a time, so that a cold run builds kube-apiserver once, not twice at once.
(cd e2e && go test -count=1 -p 1 -timeout 45m "$@" ./...)
