"""How long opening the kernel's BTF and reading one struct's layout takes.

Prints, in milliseconds:
  cold  - fresh interpreter, empty index cache: import + open + find task_struct + all member offsets
  warm  - fresh interpreter, index cache present: the same
  vmlinux open - fresh interpreter, index cache present, modules imported: BTF.vmlinux() + find
                 (bare, and with ctypes already imported as pybpf.load has it)
  in-process open/find (median of repeats, cache present)
  full raw dump of every type, ours vs ``bpftool btf dump file`` (reference ratio)
Run: .venv/bin/python bench/btf_open.py [path-to-btf]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PATH = Path(sys.argv[1] if len(sys.argv) > 1 else "/sys/kernel/btf/vmlinux")

CHILD = """
import sys, time
t0 = time.perf_counter()
from pybpf.btf import BTF, Kind
btf = BTF.from_file(sys.argv[1])
task = btf.find("task_struct", Kind.STRUCT)
offsets = {m.name: (m.bit_offset // 8, m.bit_offset % 8, m.bitfield_size) for m in btf.members(task.id)}
loc = btf.field(task.id, "real_parent.tgid")
print((time.perf_counter() - t0) * 1000, len(offsets))
"""


OPEN_CHILD = """
import sys, time
{pre}
import pybpf.btf.spec as s
t0 = time.perf_counter()
s.BTF.vmlinux(sys.argv[1]).find("task_struct")
print((time.perf_counter() - t0) * 1000)
"""


def open_ms(pre: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", OPEN_CHILD.format(pre=pre), str(PATH)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[0])


def child_ms(cache_home: str) -> float:
    env = dict(os.environ, XDG_CACHE_HOME=cache_home)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(PATH)], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.split()[0])


def best(values: list[float]) -> str:
    return f"median {statistics.median(values):7.1f}  min {min(values):7.1f}"


def main() -> None:
    from pybpf.btf import BTF, Kind
    from pybpf.btf.rawdump import dump_raw

    size = PATH.stat().st_size
    print(f"{PATH}: {size / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as cache_home:
        cold = []
        for _ in range(5):
            shutil.rmtree(Path(cache_home) / "pybpf", ignore_errors=True)
            cold.append(child_ms(cache_home))
        warm = [child_ms(cache_home) for _ in range(7)]
    print(f"cold (no index cache), new process, import+open+find+offsets ms: {best(cold)}")
    print(f"warm (index cached),   new process, import+open+find+offsets ms: {best(warm)}")
    bare = [open_ms("") for _ in range(10)]
    with_ctypes = [open_ms("import ctypes") for _ in range(10)]
    print(f"vmlinux open+find(task_struct), new process ms: {best(bare)}")
    print(f"  the same with ctypes already imported ms:    {best(with_ctypes)}")

    opens, finds = [], []
    for _ in range(7):
        t0 = time.perf_counter()
        btf = BTF.from_file(PATH)
        t1 = time.perf_counter()
        btf.find("task_struct", Kind.STRUCT)
        t2 = time.perf_counter()
        opens.append((t1 - t0) * 1000)
        finds.append((t2 - t1) * 1000)
    print(f"in-process BTF.from_file ms: {best(opens)}")
    print(f"in-process find(task_struct) ms: {best(finds)}")
    scans = []
    data = PATH.read_bytes()
    for _ in range(3):
        t0 = time.perf_counter()
        BTF.from_bytes(data)
        scans.append((time.perf_counter() - t0) * 1000)
    print(f"in-process BTF.from_bytes (full index scan, no cache) ms: {best(scans)}")

    t0 = time.perf_counter()
    text = dump_raw(BTF.from_file(PATH))
    ours = (time.perf_counter() - t0) * 1000
    bpftool = shutil.which("bpftool")
    if bpftool:
        t0 = time.perf_counter()
        ref = subprocess.run(
            [bpftool, "btf", "dump", "file", str(PATH)], capture_output=True, text=True, check=True
        )
        theirs = (time.perf_counter() - t0) * 1000
        same = "identical" if ref.stdout == text else "DIFFERENT"
        print(
            f"full raw dump ms: ours {ours:.0f}, bpftool {theirs:.0f} (x{ours / theirs:.1f}); output {same}"
        )
    else:
        print(f"full raw dump ms: ours {ours:.0f} (bpftool not installed)")


if __name__ == "__main__":
    main()
