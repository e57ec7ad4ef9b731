"""Runtimes: turn an :class:`~pybpf.spec.ObjectSpec` into live programs and maps.

``load(spec)`` (exported as ``pybpf.load``) picks a runtime by name; every runtime returns an
:class:`Object` with the same API, so code written against the kernel runs on the VM too.
"""

from __future__ import annotations

import os

from pybpf._typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from typing import Any

from ..btf import BTF
from ..errors import NotSupported
from ..spec import ObjectSpec
from .errors import ExternError, LoadError, PinMismatch, ProgramVerifierError
from .kernel import KernelRuntime
from .maps import Map, PerCPU
from .objects import Object
from .programs import Program, RunResult


class Runtime(Protocol):
    """Anything that turns a spec into an :class:`Object` (``KernelRuntime``, a VM runtime)."""

    def load(self, spec: ObjectSpec) -> Object: ...


def load(
    spec_or_path: ObjectSpec | str | os.PathLike[str],
    *,
    runtime: str | Runtime = "kernel",
    btf: BTF | None = None,
    pin_path: str | os.PathLike[str] | None = None,
    log_level: int = 0,
    **vm_options: Any,
) -> Object:
    """Load an object (a spec, or the path of a compiled ``.bpf.o``) into ``runtime``.

    ``btf`` is the target BTF for CO-RE relocations (default: the running kernel's);
    ``pin_path`` is where ``LIBBPF_PIN_BY_NAME`` maps are looked up and pinned (default
    ``/sys/fs/bpf``); ``log_level`` > 0 asks the verifier for a log even on success (kept in
    ``Program.verifier_log``).  ``runtime`` may also be a runtime object with a ``load(spec)``.
    ``runtime="vm"`` runs the object in the userspace VM (``pybpf.vm.runtime.load``); the keyword
    options (``cpus``, ``clock``, ``seed``, ``pid``, ``comm``, ``engine``, ...) go to it, and
    ``btf`` is its CO-RE target (default: the object's own BTF).
    """
    spec = spec_or_path if isinstance(spec_or_path, ObjectSpec) else ObjectSpec.from_file(spec_or_path)
    if not isinstance(runtime, str):
        return runtime.load(spec)
    if runtime == "kernel":
        if vm_options:
            raise TypeError(f"options only the VM runtime takes: {', '.join(sorted(vm_options))}")
        return KernelRuntime(btf=btf, pin_path=pin_path, log_level=log_level).load(spec)
    if runtime == "vm":
        from ..vm import runtime as vm_runtime

        if btf is not None:
            vm_options["btf"] = btf
        return vm_runtime.load(spec, **vm_options)  # type: ignore[return-value]
    raise NotSupported(f"unknown runtime {runtime!r} (available: kernel, vm)")


__all__ = [
    "ExternError",
    "KernelRuntime",
    "LoadError",
    "Map",
    "Object",
    "PerCPU",
    "PinMismatch",
    "Program",
    "ProgramVerifierError",
    "RunResult",
    "Runtime",
    "load",
]
