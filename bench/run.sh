#!/bin/sh
# Runs the whole-process benchmark and writes bench/RESULTS.md; flags pass through (go run . -h lists them),
# e.g. ./run.sh -apiserver=false -reps 20.
set -eu
cd "$(dirname "$0")"
exec go run . -out RESULTS.md "$@"
