"""Generate ``include/bpf/bpf_helper_defs.h``: one declaration per BPF helper of the kernel.

Helper ids come from the kernel's ``enum bpf_func_id`` (read from a C dump of its BTF); the
prototypes come from the helper documentation comment in the kernel uapi ``linux/bpf.h``, which
is the one place the kernel states them.  Helpers newer than the uapi header at hand are filled
in from :data:`EXTRA_PROTOTYPES`.  Run it when the kernel gains helpers::

    python -m pybpf.cc.gen_helper_defs [--uapi /usr/include/linux/bpf.h] [--btf /sys/kernel/btf/vmlinux]

Kernel-internal types in the documentation are rewritten to what a BPF program actually holds:
the context structs programs see (``struct __sk_buff`` instead of ``struct sk_buff``), ``void *``
for maps (programs pass ``&map_definition``), and ``__u64``-style integer names.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from pybpf._dataclasses import dataclass

HEADER_PATH = Path(__file__).resolve().parent / "include" / "bpf" / "bpf_helper_defs.h"
DEFAULT_UAPI = Path("/usr/include/linux/bpf.h")

# Prototypes of helpers added after the oldest uapi header we generate from (Linux 6.1); every
# helper id up to the end of the enum (frozen since 6.2: new kernel functions are kfuncs) is here.
EXTRA_PROTOTYPES: dict[str, str] = {
    "bpf_cgrp_storage_get": "void *bpf_cgrp_storage_get(struct bpf_map *map, struct cgroup *cgroup, void *value, u64 flags)",
    "bpf_cgrp_storage_delete": "long bpf_cgrp_storage_delete(struct bpf_map *map, struct cgroup *cgroup)",
}

# Kernel-side type spellings in the docs -> the spelling a BPF program uses.
_STRUCT_RENAMES = {
    "sk_buff": "__sk_buff",
    "xdp_buff": "xdp_md",
    "sk_msg_buff": "sk_msg_md",
}
_WORD_RENAMES = {
    "u8": "__u8",
    "u16": "__u16",
    "u32": "__u32",
    "u64": "__u64",
    "s8": "__s8",
    "s16": "__s16",
    "s32": "__s32",
    "s64": "__s64",
    "size_t": "unsigned long",
}

_DOC_START = "Start of BPF helper function descriptions"
_PROTO_LINE = re.compile(r"^ \* (?P<proto>\S.*\bbpf_\w+\(.*\))\s*$")
_NAME = re.compile(r"\b(bpf_\w+)\s*\(")
_ENUM_ENTRY = re.compile(r"\bBPF_FUNC_(\w+)\s*=\s*(\d+)")


@dataclass(frozen=True)
class Helper:
    """One helper: kernel id, name, and C return type / parameter list as a program sees them."""

    id: int
    name: str
    ret: str
    params: str

    def declaration(self) -> str:
        return f"static {self.ret}(*const {self.name})({self.params}) = (void *){self.id};"


def parse_uapi_prototypes(text: str) -> dict[str, str]:
    """Prototype line per helper name from the uapi documentation comment.

    A prototype is a comment line directly followed by its ``Description`` heading.  The few
    helpers documented twice (once per context type they accept) get a ``void *ctx`` first
    parameter, since one declaration has to serve every program type.
    """
    start = text.find(_DOC_START)
    if start < 0:
        return {}
    lines = text[start:].splitlines()
    found: dict[str, str] = {}
    for line, following in itertools.pairwise(lines):
        match = _PROTO_LINE.match(line)
        if match is None or following.strip().lstrip("*").strip() != "Description":
            continue
        proto = match.group("proto")
        name = _NAME.search(proto)
        if name is None:
            continue
        previous = found.setdefault(name.group(1), proto)
        if previous != proto:
            found[name.group(1)] = _generic_context(previous)
    return found


def _generic_context(proto: str) -> str:
    """A helper documented once per program type takes whichever context it runs in: ``void *ctx``."""
    open_paren = proto.index("(")
    rest = proto[open_paren + 1 :]
    comma = rest.find(",")
    tail = rest[comma:] if comma >= 0 else ")"
    return f"{proto[: open_paren + 1]}void *ctx{tail}"


def parse_helper_ids(c_text: str) -> dict[str, int]:
    """``bpf_<name> -> id`` from ``enum bpf_func_id`` in a C dump of vmlinux BTF."""
    ids: dict[str, int] = {}
    for name, value in _ENUM_ENTRY.findall(c_text):
        if name == "unspec" or name.startswith("__"):
            continue
        ids[f"bpf_{name}"] = int(value)
    return ids


def _program_types(fragment: str) -> str:
    def struct(match: re.Match[str]) -> str:
        tag = match.group(1)
        if tag == "bpf_map":
            return "void"
        return f"struct {_STRUCT_RENAMES.get(tag, tag)}"

    fragment = re.sub(r"\bstruct\s+(\w+)", struct, fragment)
    return re.sub(r"\b\w+\b", lambda m: _WORD_RENAMES.get(m.group(0), m.group(0)), fragment)


def split_prototype(proto: str) -> tuple[str, str, str]:
    """``(return type, name, parameters)`` of one prototype, rewritten to program-side types."""
    name_match = _NAME.search(proto)
    if name_match is None:
        raise ValueError(f"not a helper prototype: {proto!r}")
    ret = proto[: name_match.start()].strip()
    params = proto[name_match.end() : proto.rindex(")")].strip()
    ret = _program_types(ret)
    if ret == "int":
        # Helpers return a 64-bit register; declaring int would let the compiler drop the top half.
        ret = "long"
    ret = ret if ret.endswith("*") else f"{ret} "
    return ret, name_match.group(1), _program_types(params) or "void"


def build_helpers(ids: Mapping[str, int], prototypes: Mapping[str, str]) -> tuple[list[Helper], list[str]]:
    """Helpers sorted by id, and the names that have an id but no known prototype."""
    helpers: list[Helper] = []
    missing: list[str] = []
    for name, helper_id in sorted(ids.items(), key=lambda item: item[1]):
        proto = prototypes.get(name) or EXTRA_PROTOTYPES.get(name)
        if proto is None:
            missing.append(name)
            continue
        ret, parsed_name, params = split_prototype(proto)
        helpers.append(Helper(helper_id, parsed_name, ret, params))
    return helpers, missing


def _struct_tags(helpers: Iterable[Helper]) -> list[str]:
    tags: set[str] = set()
    for helper in helpers:
        tags.update(re.findall(r"\bstruct\s+(\w+)", f"{helper.ret} {helper.params}"))
    return sorted(tags)


def render(helpers: list[Helper], *, source: str) -> str:
    """The header text: forward declarations of every struct named, then one line per helper."""
    out = [
        "/* SPDX-License-Identifier: Apache-2.0 */",
        f"/* Generated by pybpf.cc.gen_helper_defs from {source}; do not edit by hand. */",
        "#ifndef __PYBPF_BPF_HELPER_DEFS_H",
        "#define __PYBPF_BPF_HELPER_DEFS_H",
        "",
        "/* Declared up front so the prototypes below never introduce a struct tag in parameter scope. */",
    ]
    out += [f"struct {tag};" for tag in _struct_tags(helpers)]
    out.append("")
    out += [helper.declaration() for helper in helpers]
    out += ["", "#endif /* __PYBPF_BPF_HELPER_DEFS_H */", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--uapi", type=Path, default=DEFAULT_UAPI, help="kernel uapi linux/bpf.h")
    parser.add_argument("--btf", type=Path, default=None, help="vmlinux BTF (default: running kernel)")
    parser.add_argument("-o", "--output", type=Path, default=HEADER_PATH)
    args = parser.parse_args(argv)

    from .vmlinux import vmlinux_header

    ids = parse_helper_ids(vmlinux_header(args.btf).read_text(encoding="utf-8"))
    prototypes = parse_uapi_prototypes(args.uapi.read_text(encoding="utf-8"))
    helpers, missing = build_helpers(ids, prototypes)
    if missing:
        print(f"no prototype for: {', '.join(missing)}", file=sys.stderr)
        return 1
    args.output.write_text(render(helpers, source="the kernel's enum bpf_func_id and uapi linux/bpf.h"))
    print(f"wrote {len(helpers)} helpers to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
