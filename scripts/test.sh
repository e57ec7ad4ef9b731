#!/usr/bin/env bash
# The whole test suite on a fresh machine: a virtualenv with pybpf and its test extras (the ziglang
# wheel provides clang), bpftool and graphviz as reference tools when apt can install them, then ruff,
# mypy, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q -e '.[cc,jit,test]'
# Reference tools: bpftool (outputs compared field by field) and Graphviz (rendered CFGs).
missing=""
command -v bpftool >/dev/null 2>&1 || missing="$missing bpftool"
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >/dev/null 2>&1 \
        || echo "note: could not install$missing; tests comparing against them will skip"
fi
.venv/bin/ruff check src tests bench examples scripts docs
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
