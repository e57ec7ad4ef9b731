"""Shared by the CO-RE tests: the test objects' description and small hand-made BTFs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pybpf.btf import BTF
from pybpf.btf.encode import build
from pybpf.btf.types import AnyType, Int, IntEncoding
from pybpf.spec import ObjectSpec

DATA = Path(__file__).resolve().parent / "data"
#: Test objects whose programs run against their -DTARGET BTF.
SOURCES = ("fields", "bitfields", "types", "enums", "errors")
#: BPF_F_SLEEPABLE: SEC("syscall") programs must be sleepable.
SLEEPABLE = 1 << 4


@dataclass(frozen=True)
class CoreObject:
    """One test object: the program build and the BTF of its -DTARGET build."""

    name: str
    spec: ObjectSpec
    target_btf: BTF

    @property
    def local_btf(self) -> BTF:
        assert self.spec.btf is not None
        return self.spec.btf


def btf_of(*types: AnyType) -> BTF:
    """A BTF with ``int`` (id 1), ``unsigned int`` (2), ``long long`` (3), ``unsigned char`` (4)
    followed by ``types`` (ids from 5 on, in order)."""
    base: list[AnyType] = [
        Int(1, "int", 4, IntEncoding.SIGNED, 0, 32),
        Int(2, "unsigned int", 4, IntEncoding.NONE, 0, 32),
        Int(3, "long long", 8, IntEncoding.SIGNED, 0, 64),
        Int(4, "unsigned char", 1, IntEncoding.NONE, 0, 8),
    ]
    return build([*base, *types])


INT, UINT, LLONG, UCHAR = 1, 2, 3, 4
