"""What a cold ``import pybpf; pybpf.load(obj)`` imports: nothing it does not need.

A process that starts, loads one object and exits pays for every module it imports, so the load
path keeps off the standard library's slow ones (see docs/architecture.md, "Start-up cost").
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

#: Modules a load must not import: slow to import (typing pulls in re; dataclasses pulls in
#: inspect, ast and dis; enum and functools pull in collections) or only for other paths
#: (pathlib, hashlib, threading, importlib).
NOT_ON_THE_LOAD_PATH = (
    "typing",
    "enum",  # pybpf._enum makes the constants' classes
    "functools",  # pybpf._lazy has cache and cached_property
    "collections",  # the abstract bases come from _collections_abc (pybpf._typing)
    "collections.abc",
    "array",  # BTF offsets are packed words
    "operator",  # records use _operator.attrgetter
    "weakref",  # FD closes in __del__; the CO-RE name index lives on its BTF
    "bisect",  # a C extension: pybpf._sorted searches in Python
    "re",
    "dataclasses",
    "inspect",
    "ast",
    "dis",
    "pathlib",
    "hashlib",
    "threading",
    "pybpf.cc",
    "pybpf.vm",
    "pybpf.inspect",
    "pybpf.attach",
    "pybpf.btf.codec",  # maps build their codecs on first use
    "pybpf.runtime.values",
    "pybpf.spec.codec",  # global variables are decoded when first read
    "fcntl",  # os.dup and os.set_inheritable do what FD needs
    "pybpf.elf.structops",  # only objects with struct_ops sections
    "pybpf.kernel.config",  # __kconfig externs, kprobe kernel versions, refusals
    "pybpf.runtime.kconfig",
    "pybpf.kernel.progattrs",  # layouts of commands a load does not issue
    "pybpf.kernel.infostructs",
    "pybpf.kernel.bpffs",  # pinning only
    "pybpf.kernel.objects",
    "pybpf.isa.helpers",  # helper names are for disassembly and messages
)

# Reports with print, not json: json imports re.
CHECK = """
import sys
import pybpf
obj = pybpf.load(sys.argv[1])
names = [program for program in obj.programs]
obj.close()
print(" ".join(names))
print(" ".join(sorted(sys.modules)))
"""


@pytest.mark.parametrize("example", ["bootstrap", "minimal"])
def test_loading_a_core_object_imports_none_of_the_slow_or_unrelated_modules(
    bpf_ok: None, build_object: Callable[[str], Path], example: str
) -> None:
    obj = build_object(example)
    out = subprocess.run([sys.executable, "-c", CHECK, str(obj)], capture_output=True, text=True, check=True)
    programs, modules = out.stdout.splitlines()
    assert programs.split(), "the object loaded no programs"
    imported = set(modules.split())
    assert sorted(imported & set(NOT_ON_THE_LOAD_PATH)) == []
