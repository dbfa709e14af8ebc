#!/usr/bin/env bash
# The whole test suite: unit and differential tests of the kcurl package, then the
# end-to-end tests against a real kube-apiserver and etcd on 127.0.0.1.
# The first run builds kube-apiserver and etcd from the Go module proxy (about 5
# minutes on 2 cores); later runs reuse them from the user cache dir.
# ./test.sh -short skips the slow parts and says which.
set -euo pipefail
cd "$(dirname "$0")"
for arg in "$@"; do
	if [ "$arg" = "-short" ]; then
		echo "test.sh: -short: skipping the static/arm64 builds, the empty-root run and every test that needs kube-apiserver and etcd"
	fi
done
go test -count=1 "$@" ./...
(cd e2e && go test -count=1 -timeout 45m "$@" ./...)
