#!/usr/bin/env bash
# The whole test suite on a fresh machine: a virtualenv with pybpf and its test extras (the ziglang
# wheel provides clang), bpftool as a reference tool when apt can install it, then ruff, mypy, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q -e '.[cc,jit,test]'
if ! command -v bpftool >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bpftool) >/dev/null 2>&1 \
        || echo "note: bpftool could not be installed; tests comparing against it will skip"
fi
.venv/bin/ruff check src tests bench examples scripts docs
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
