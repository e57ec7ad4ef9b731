#!/usr/bin/env bash
# The main job on a fresh machine: install pybpf with its compiler extra into .venv, build an example
# BPF program against a vmlinux.h generated from this kernel's BTF, and show its disassembly with the
# C source lines it came from.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q -e '.[cc]'
mkdir -p out
.venv/bin/pybpf build examples/bootstrap.bpf.c -o out/bootstrap.bpf.o
.venv/bin/pybpf disasm out/bootstrap.bpf.o
