"""pybpf: the eBPF toolkit for Python.

Imports stay lazy so that ``import pybpf`` costs almost nothing: a tool that only needs the
disassembler should not pay for BTF or ELF parsing machinery.
"""

from __future__ import annotations

from pybpf._typing import TYPE_CHECKING

from ._lazy import lazy_attributes
from .errors import (
    AssemblerError,
    BTFError,
    CompileError,
    ELFError,
    Error,
    InvalidInstruction,
    NotSupported,
    ParseError,
    ToolNotFound,
)

__version__ = "0.1.0"

# Public names resolved on first use: name -> (module, attribute).
_LAZY = {
    "Instruction": ("pybpf.isa", "Instruction"),
    "BTF": ("pybpf.btf", "BTF"),
    "ObjectSpec": ("pybpf.spec", "ObjectSpec"),
    "ProgramSpec": ("pybpf.spec", "ProgramSpec"),
    "MapSpec": ("pybpf.spec", "MapSpec"),
    "build": ("pybpf.cc", "build"),
    "load": ("pybpf.runtime", "load"),
    "Object": ("pybpf.runtime", "Object"),
    "Program": ("pybpf.runtime", "Program"),
    "Map": ("pybpf.runtime", "Map"),
    "LoadError": ("pybpf.runtime", "LoadError"),
    "KernelError": ("pybpf.kernel.errors", "KernelError"),
    "KeyNotFound": ("pybpf.kernel.errors", "KeyNotFound"),
    "KeyExists": ("pybpf.kernel.errors", "KeyExists"),
    "MapFull": ("pybpf.kernel.errors", "MapFull"),
    "PermissionDenied": ("pybpf.kernel.errors", "PermissionDenied"),
    "NotSupportedByKernel": ("pybpf.kernel.errors", "NotSupportedByKernel"),
    "VerifierError": ("pybpf.kernel.errors", "VerifierError"),
    "BTFLoadError": ("pybpf.kernel.btf_load", "BTFLoadError"),
    "VMFault": ("pybpf.vm", "VMFault"),
    "trace_pipe": ("pybpf.tracefs", "trace_pipe"),
}

if TYPE_CHECKING:
    from .btf import BTF
    from .cc import build
    from .isa import Instruction
    from .kernel.btf_load import BTFLoadError
    from .kernel.errors import (
        KernelError,
        KeyExists,
        KeyNotFound,
        MapFull,
        NotSupportedByKernel,
        PermissionDenied,
        VerifierError,
    )
    from .runtime import LoadError, Map, Object, Program, load
    from .spec import MapSpec, ObjectSpec, ProgramSpec
    from .tracefs import trace_pipe
    from .vm import VMFault


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "BTF",
    "AssemblerError",
    "BTFError",
    "BTFLoadError",
    "CompileError",
    "ELFError",
    "Error",
    "Instruction",
    "InvalidInstruction",
    "KernelError",
    "KeyExists",
    "KeyNotFound",
    "LoadError",
    "Map",
    "MapFull",
    "MapSpec",
    "NotSupported",
    "NotSupportedByKernel",
    "Object",
    "ObjectSpec",
    "ParseError",
    "PermissionDenied",
    "Program",
    "ProgramSpec",
    "ToolNotFound",
    "VMFault",
    "VerifierError",
    "build",
    "load",
    "trace_pipe",
]
