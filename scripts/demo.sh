#!/usr/bin/env bash
# The main job on a fresh machine: install pybpf into .venv, then trace every process exec on this
# kernel for a few seconds with examples/execsnoop.bpf.c: pybpf builds it against a vmlinux.h
# generated from the running kernel's BTF, loads it (CO-RE, maps, ring buffer), attaches its
# tracepoint and prints each event decoded through BTF, then the maps, and detaches cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
SECONDS_TO_TRACE=${1:-5}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q -e '.[cc]'
# A little activity of our own, so there is something to see on an idle machine.
( sleep 1.5; for _ in 1 2 3; do /bin/true; uname -r >/dev/null; sleep 0.5; done ) &
exec .venv/bin/pybpf run examples/execsnoop.bpf.c --duration "$SECONDS_TO_TRACE"
