"""BTF → C header (``vmlinux.h``), ordered and spelled the way ``bpftool btf dump ... format c`` does.

The kernel's BTF has ~130k types, so the dumper does not go through the type dataclasses: decoding
every record into objects costs more than the whole dump.  It reads the raw type section as one
list of 32-bit words (base blobs of split BTF concatenated in front, so ids and string offsets
stay global) and looks fields up by word offset.  The output follows libbpf's ``btf_dump`` rules,
because BPF programs are written against headers produced that way:

* every type id is visited in order; a type's definition is emitted once everything it embeds by
  value is defined, and a named struct reached only through a pointer gets a forward declaration;
* anonymous structs, unions and referenced anonymous enums are written inline where they are used;
* a second definition of a name gets a ``___2`` suffix (struct/union/enum tags and ordinary
  identifiers, i.e. typedefs and enumerators, are counted separately), as in bpftool;
* the layout of the BTF is reproduced exactly: explicit ``long: N`` padding where natural
  alignment would place a member elsewhere, ``packed`` when members are misaligned or the size is
  not a multiple of the alignment, ``aligned(N)`` for over-aligned unions (padding cannot grow a
  union), ``mode(...)`` for enums whose size the values alone would not give, and the kernel's
  ``va_list`` spelled out (the BPF compiler's ``__builtin_va_list`` has another size);
* functions tagged ``bpf_kfunc`` get ``extern ... __weak __ksym`` prototypes, as newer bpftool.
"""

from __future__ import annotations

import gc
import re
import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import BTFError
from .types import Kind

if TYPE_CHECKING:
    from .spec import BTF

# Plain ints: comparisons against IntEnum members are several times slower in the hot loops.
_VOID = int(Kind.VOID)
_INT = int(Kind.INT)
_PTR = int(Kind.PTR)
_ARRAY = int(Kind.ARRAY)
_STRUCT = int(Kind.STRUCT)
_UNION = int(Kind.UNION)
_ENUM = int(Kind.ENUM)
_FWD = int(Kind.FWD)
_TYPEDEF = int(Kind.TYPEDEF)
_VOLATILE = int(Kind.VOLATILE)
_CONST = int(Kind.CONST)
_RESTRICT = int(Kind.RESTRICT)
_FUNC = int(Kind.FUNC)
_FUNC_PROTO = int(Kind.FUNC_PROTO)
_VAR = int(Kind.VAR)
_DATASEC = int(Kind.DATASEC)
_FLOAT = int(Kind.FLOAT)
_DECL_TAG = int(Kind.DECL_TAG)
_TYPE_TAG = int(Kind.TYPE_TAG)
_ENUM64 = int(Kind.ENUM64)

_NKINDS = 20
#: Words after the 3-word common header: (fixed words, words per vlen item), by kind.
_LAYOUT = (
    (0, 0),
    (1, 0),
    (0, 0),
    (3, 0),
    (0, 3),
    (0, 3),
    (0, 2),
    (0, 0),
    (0, 0),
    (0, 0),
    (0, 0),
    (0, 0),
    (0, 0),
    (0, 2),
    (1, 0),
    (0, 3),
    (0, 0),
    (1, 0),
    (0, 0),
    (0, 3),
)
_CV_MODS = (_VOLATILE, _CONST, _RESTRICT)
_MODS = (_VOLATILE, _CONST, _RESTRICT, _TYPE_TAG)
_DECL_FOLLOW = (_PTR, _VOLATILE, _CONST, _RESTRICT, _FUNC_PROTO, _TYPE_TAG)
_DECL_STOP = (_INT, _ENUM, _ENUM64, _FWD, _STRUCT, _UNION, _TYPEDEF, _FLOAT)
_MAX_CHAIN = 4096
#: Gaps are filled with one ``long: 64;`` line per 8 bytes; a corrupted size must not mean millions.
_MAX_PAD_BITS = 8 << 20

_HEADER = """\
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

#ifndef __weak
#define __weak __attribute__((weak))
#endif

#ifndef __bpf_fastcall
#if __has_attribute(bpf_fastcall)
#define __bpf_fastcall __attribute__((bpf_fastcall))
#else
#define __bpf_fastcall
#endif
#endif

"""

# Emitted only when the BTF has plain type tags: compilers without the attribute drop them.
_TYPE_TAG_GUARD = """\
#ifndef __btf_type_tag
#if __has_attribute(btf_type_tag)
#define __btf_type_tag(x) __attribute__((btf_type_tag(x)))
#else
#define __btf_type_tag(x)
#endif
#endif

"""

_FOOTER = """\
#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
"""

_KFUNC_TAG = "bpf_kfunc"
_FASTCALL_TAG = "bpf_fastcall"
#: Padding types, widest first, with their size in bits (the BPF target's long is 64-bit).
_PADS = (("long", 64), ("int", 32), ("short", 16), ("char", 8))
_ENUM_MODES = {1: "byte", 2: "HI", 4: "SI", 8: "word"}
#: Base types some BTF producers name but C compilers do not predefine (libbpf adds the same).
_MISSING_ALIASES = {
    "__Poly8_t": "unsigned char",
    "__Poly16_t": "unsigned short",
    "__Poly64_t": "unsigned long long",
    "__Poly128_t": "unsigned __int128",
}


_TABS = tuple("\t" * i for i in range(32))


def _pfx(lvl: int) -> str:
    return _TABS[lvl] if lvl < 32 else "\t" * lvl


class _Table:
    """Every type record of a BTF (and its bases) as words: ``w[off[id] + k]`` is word ``k`` of ``id``."""

    __slots__ = ("kinds", "n", "off", "strings", "w")

    def __init__(self, btf: Any) -> None:
        chain = []
        b = btf
        while b is not None:
            chain.append(b)
            b = getattr(b, "base", None)
        chain.reverse()
        words = array("I")
        offs: list[int] = [0]
        strings = bytearray()
        for blob in chain:
            types, strs = _sections(blob)
            base_word = len(words)
            if len(types) % 4:
                raise BTFError("type section length is not a multiple of 4", section=".BTF")
            words.frombytes(types)
            if blob.header.order != ("<" if sys.byteorder == "little" else ">"):
                words_part = array("I", words[base_word:])
                words_part.byteswap()
                words[base_word:] = words_part
            offs.extend(_record_word_offsets(blob, words, base_word))
            strings += strs
        # Kept as the array: a list would index a little faster but costs as much to build (and
        # ten times the memory).
        self.w = words
        self.off = offs
        self.n = len(offs)
        self.strings = bytes(strings)
        w = self.w
        self.kinds = bytes([0] + [(w[o + 1] >> 24) & 0x1F for o in offs[1:]])


def _sections(blob: Any) -> tuple[bytes, bytes]:
    data = blob.data
    h = blob.header
    t0 = h.hdr_len + h.type_off
    s0 = h.hdr_len + h.str_off
    return data[t0 : t0 + h.type_len], data[s0 : s0 + h.str_len]


def _record_word_offsets(blob: Any, words: array[int], base_word: int) -> list[int]:
    """Word offsets in ``words`` of each record of ``blob``: from the BTF's own index when it has
    one (the private byte offsets of :class:`~pybpf.btf.spec.BTF`, checked for plausibility),
    else by walking the records.
    """
    known = getattr(blob, "_offsets", None)
    expected = len(blob) - blob.start_id if hasattr(blob, "start_id") else None
    type_len = 4 * (len(words) - base_word)
    if (
        known is not None
        and len(known) == expected
        and (not known or (known[0] == 0 and known[-1] < type_len))
    ):
        if base_word == 0:
            return [o >> 2 for o in known]
        return [base_word + (o >> 2) for o in known]
    out: list[int] = []
    o = base_word
    end = len(words)
    layout = _LAYOUT
    while o < end:
        if o + 3 > end:
            raise BTFError("type record truncated", section=".BTF", offset=4 * (o - base_word))
        info = words[o + 1]
        kind = (info >> 24) & 0x1F
        if kind == 0 or kind >= _NKINDS:
            raise BTFError(f"unknown kind {kind}", section=".BTF", offset=4 * (o - base_word))
        fixed, per = layout[kind]
        out.append(o)
        o += 3 + fixed + per * (info & 0xFFFF)
    if o > end:
        raise BTFError("type record runs past the end of the type section", section=".BTF")
    return out


class _Dumper:
    """One dump: per-type ordering/emission state as in libbpf's btf_dump, output as string parts."""

    def __init__(self, tab: _Table, out: list[str]) -> None:
        n = tab.n
        self.t = tab
        self.w = tab.w
        self.off = tab.off
        self.kinds = tab.kinds
        self.out = out
        self.order_state = bytearray(n)  # 0 none, 1 ordering, 2 ordered
        self.emit_state = bytearray(n)  # 0 none, 1 emitting, 2 emitted
        self.fwd_emitted = bytearray(n)
        self.referenced = bytearray(n)
        self.resolved_names: list[str | None] = [None] * n
        self.type_names: dict[str, int] = {}
        self.ident_names: dict[str, int] = {}
        self.queue: list[int] = []
        self.str_cache: dict[int, str] = {0: ""}
        # ASCII string tables (the kernel's) are sliced as one str: byte and character offsets agree.
        self.text = tab.strings.decode("ascii") if tab.strings.isascii() else None
        self.align_cache = [0] * n  # 0: not computed yet (every alignment is >= 1)
        self.size_cache = [-1] * n
        self.emit_target = [-1] * n
        self.packed = bytearray(n)  # set by align_of for structs/unions laid out as packed
        self.decl_named: dict[int, tuple[str, str]] = {}
        self.decl_anon: dict[int, str] = {}
        self.inlined = False
        self.uses_type_tag = False
        self._mark_referenced()

    # ------------------------------------------------------------------ basics

    def str_at(self, offset: int) -> str:
        s = self.str_cache.get(offset)
        if s is None:
            text = self.text
            if text is not None:
                end = text.find("\0", offset)
                if end < 0 or offset >= len(text):
                    raise BTFError(f"string offset {offset} out of range", section=".BTF")
                s = text[offset:end]
            else:
                s = self._decode_at(offset)
            self.str_cache[offset] = s
        return s

    def _string_at(self, offset: int) -> str:
        """A string read without caching it: enumerator names are nearly all unique."""
        text = self.text
        if text is None or offset >= len(text):
            return self.str_at(offset)
        return text[offset : text.find("\0", offset)]

    def _strings_at(self, offsets: Sequence[int]) -> list[str]:
        text = self.text
        if text is None or (offsets and max(offsets) >= len(text)):
            return [self.str_at(o) for o in offsets]  # decodes, or names the bad offset
        find = text.find
        return [text[o : find("\0", o)] for o in offsets]

    def _decode_at(self, offset: int) -> str:
        strings = self.t.strings
        if offset >= len(strings):
            raise BTFError(f"string offset {offset} out of range", section=".BTF")
        end = strings.find(b"\0", offset)
        if end < 0:
            end = len(strings)
        try:
            return strings[offset:end].decode()
        except UnicodeDecodeError as exc:
            raise BTFError(f"invalid UTF-8 in string at {offset}", section=".BTF") from exc

    def name_of(self, tid: int) -> str:
        return self.str_at(self.w[self.off[tid]]) if tid else ""

    def check_id(self, tid: int, referrer: int) -> int:
        if tid >= self.t.n:
            raise BTFError(f"type id {referrer}: refers to missing type id {tid}", section=".BTF")
        return tid

    def _mark_referenced(self) -> None:
        """Anonymous enums nobody refers to are top-level definitions; others are written inline.

        Only anonymous enums ask, so the records are found by kind with a regular expression over
        the kind bytes, their member/param ids taken with array slices and checked against the
        anonymous enums with ``isdisjoint``: no Python loop over every type or every reference.
        """
        kinds = self.kinds
        w = self.w
        off = self.off
        anon = {i for i in _ids_of(kinds, b"\x06\x07\x13") if not w[off[i]]}
        if not anon:
            return
        # Only membership in the small set of anonymous enums is asked: isdisjoint() answers in C
        # without building a set of every referenced id.
        refs: set[int] = set()
        disjoint = anon.isdisjoint

        def note(ids: Iterable[int]) -> None:
            if not disjoint(ids):
                refs.update(anon.intersection(ids))

        # FUNC is left out: it can only point at its FUNC_PROTO.
        single = _ids_of(kinds, b"\x02\x08\x09\x0a\x0b\x0e\x11\x12")
        note([w[off[i] + 2] for i in single])
        for o in map(off.__getitem__, _ids_of(kinds, b"\x04\x05")):
            sl = w[o + 4 : o + 4 + 3 * (w[o + 1] & 0xFFFF) : 3]
            if not disjoint(sl):
                refs.update(anon.intersection(sl))
        for o in map(off.__getitem__, _ids_of(kinds, b"\x0d")):
            # Return type and parameter types in one stride-2 slice (parameter names in between).
            sl = w[o + 2 : o + 4 + 2 * (w[o + 1] & 0xFFFF) : 2]
            if not disjoint(sl):
                refs.update(anon.intersection(sl))
        note([w[off[i] + k] for i in _ids_of(kinds, b"\x03") for k in (3, 4)])
        for o in map(off.__getitem__, _ids_of(kinds, b"\x0f")):
            note(w[o + 3 : o + 3 + 3 * (w[o + 1] & 0xFFFF) : 3])
        ref = self.referenced
        for i in refs:
            ref[i] = 1

    # ------------------------------------------------------------------ layout

    def size_of(self, tid: int) -> int:
        """``sizeof``; 0 for void, functions and other unsized kinds (as libbpf's resolve_size)."""
        if tid < self.t.n and self.size_cache[tid] >= 0:
            return self.size_cache[tid]
        w = self.w
        kinds = self.kinds
        mult = 1
        cur = tid
        size = 0
        for _ in range(_MAX_CHAIN):
            if cur == 0:
                size = 0
                break
            self.check_id(cur, tid)
            k = kinds[cur]
            o = self.off[cur]
            if k in (_INT, _ENUM, _ENUM64, _STRUCT, _UNION, _FLOAT, _DATASEC):
                size = mult * w[o + 2]
                break
            if k == _PTR:
                size = mult * 8
                break
            if k == _ARRAY:
                mult *= w[o + 5]
                cur = w[o + 3]
            elif k in (_TYPEDEF, _VOLATILE, _CONST, _RESTRICT, _TYPE_TAG, _VAR):
                cur = w[o + 2]
            else:
                size = 0
                break
        else:
            raise BTFError(f"type id {tid}: type chain too deep or cyclic", section=".BTF")
        if tid < self.t.n:
            self.size_cache[tid] = size
        return size

    def align_of(self, tid: int, depth: int = 0) -> int:
        """Alignment by the BPF target's rules; 1 for structs whose BTF layout shows packing."""
        acache = self.align_cache
        if tid < len(acache) and acache[tid]:
            return acache[tid]
        if depth > _MAX_CHAIN:
            raise BTFError(f"type id {tid}: type chain too deep or cyclic", section=".BTF")
        if tid == 0:
            return 1
        self.check_id(tid, tid)
        w = self.w
        k = self.kinds[tid]
        o = self.off[tid]
        if k in (_INT, _ENUM, _ENUM64, _FLOAT):
            a = max(1, min(8, w[o + 2]))
        elif k == _PTR:
            a = 8
        elif k == _ARRAY:
            a = self.align_of(w[o + 3], depth + 1)
        elif k in (_TYPEDEF, _VOLATILE, _CONST, _RESTRICT, _TYPE_TAG, _VAR):
            a = self.align_of(w[o + 2], depth + 1)
        elif k in (_STRUCT, _UNION):
            info = w[o + 1]
            kflag = info >> 31
            a = 1
            end = o + 3 + 3 * (info & 0xFFFF)
            n = len(acache)
            for mtype, m_off in zip(w[o + 4 : end : 3], w[o + 5 : end : 3], strict=True):
                ma = (mtype < n and acache[mtype]) or self.align_of(mtype, depth + 1)
                if kflag:
                    if m_off >> 24 == 0 and (m_off & 0xFFFFFF) % (8 * ma):
                        break
                elif m_off % (8 * ma):
                    break
                if ma > a:
                    a = ma
            else:
                if w[o + 2] % a == 0:
                    acache[tid] = a
                    return a
            # Members where their alignment forbids, or a size that is no multiple of it: packed.
            self.packed[tid] = 1
            a = 1
        else:
            a = 1
        acache[tid] = a
        return a

    # ------------------------------------------------------------------ names

    def _resolve_name(self, tid: int, names: dict[str, int]) -> str:
        """The name ``tid`` is printed with, fixed the first time it is asked for (as libbpf)."""
        resolved = self.resolved_names[tid]
        if resolved is not None:
            return resolved
        o = self.off[tid]
        resolved = self.str_at(self.w[o])
        k = self.kinds[tid]
        if resolved and not (k == _FWD or (k == _ENUM and self.w[o + 1] & 0xFFFF == 0)):
            count = names.get(resolved, 0) + 1
            names[resolved] = count
            if count > 1:
                resolved = f"{resolved}___{count}"
        self.resolved_names[tid] = resolved
        return resolved

    def type_name(self, tid: int) -> str:
        return self._resolve_name(tid, self.type_names)

    def ident_name(self, tid: int) -> str:
        return self._resolve_name(tid, self.ident_names)

    # ------------------------------------------------------------------ ordering

    def order_type(self, tid: int, through_ptr: bool) -> bool:
        """Queue the named definitions ``tid`` needs, dependencies first; True if ``tid`` is a strong link."""
        try:
            state = self.order_state[tid]
        except IndexError:
            raise BTFError(f"a type refers to missing type id {tid}", section=".BTF") from None
        if state == 2:
            return True
        w = self.w
        o = self.off[tid]
        k = self.kinds[tid]
        if state == 1:
            if (k == _STRUCT or k == _UNION) and through_ptr and w[o] != 0:
                return False
            raise BTFError(f"type id {tid}: unsatisfiable type cycle", section=".BTF")
        if k == _INT or k == _FLOAT:
            self.order_state[tid] = 2
            return False
        if k == _PTR:
            r = self.order_type(w[o + 2], True)
            self.order_state[tid] = 2
            return r
        if k == _ARRAY:
            return self.order_type(w[o + 3], False)
        if k == _STRUCT or k == _UNION:
            if through_ptr and w[o] != 0:
                return False
            ostate = self.order_state
            ostate[tid] = 1
            n = self.t.n
            kinds = self.kinds
            off = self.off
            for m in w[o + 4 : o + 4 + 3 * (w[o + 1] & 0xFFFF) : 3]:
                if m >= n:
                    self.check_id(m, tid)
                if ostate[m] == 2:
                    continue
                if kinds[m] == _PTR:
                    # The common case inline: a pointer to a named struct needs nothing ordered.
                    target = w[off[m] + 2]
                    if (
                        target < n
                        and (kinds[target] == _STRUCT or kinds[target] == _UNION)
                        and w[off[target]]
                    ):
                        ostate[m] = 2
                        continue
                self.order_type(m, False)
            if w[o] != 0:
                self.queue.append(tid)
            self.order_state[tid] = 2
            return True
        if k == _ENUM or k == _ENUM64 or k == _FWD:
            if w[o] != 0 or not self.referenced[tid]:
                self.queue.append(tid)
            self.order_state[tid] = 2
            return True
        if k == _TYPEDEF:
            strong = self.order_type(w[o + 2], through_ptr)
            if through_ptr and not strong:
                return False
            self.queue.append(tid)
            self.order_state[tid] = 2
            return True
        if k in _MODS:
            return self.order_type(w[o + 2], through_ptr)
        if k == _FUNC_PROTO:
            strong = self.order_type(w[o + 2], through_ptr)
            n = self.t.n
            ostate = self.order_state
            for p in w[o + 4 : o + 4 + 2 * (w[o + 1] & 0xFFFF) : 2]:
                if p >= n:
                    self.check_id(p, tid)
                if ostate[p] == 2 or self.order_type(p, through_ptr):
                    strong = True
            return strong
        if k == _VOID:
            return False
        # FUNC, VAR, DATASEC, DECL_TAG define nothing a header needs.
        self.order_state[tid] = 2
        return False

    # ------------------------------------------------------------------ emission

    def emit_type(self, tid: int, cont_id: int) -> None:
        """Emit ``tid``'s definition (top level when ``cont_id`` is 0) or what it needs declared first."""
        state = self.emit_state[tid]
        if state == 2:
            return
        w = self.w
        o = self.off[tid]
        k = self.kinds[tid]
        out = self.out
        if state == 1:
            if self.fwd_emitted[tid]:
                return
            if k == _STRUCT or k == _UNION:
                if tid == cont_id or w[o] == 0:
                    return
                out.append(self.struct_fwd(tid) + ";\n\n")
                self.fwd_emitted[tid] = 1
            elif k == _TYPEDEF:
                if not self.blacklisted(tid):
                    out.append(self.typedef_def(tid, 0) + ";\n\n")
                self.fwd_emitted[tid] = 1
            return
        if k == _STRUCT or k == _UNION:
            self.emit_state[tid] = 1
            top = cont_id == 0
            if top or w[o] == 0:
                new_cont = cont_id if w[o] == 0 else tid
                estate = self.emit_state
                kinds = self.kinds
                off = self.off
                targets = self.emit_target
                fwd = self.fwd_emitted
                for m in w[o + 4 : o + 4 + 3 * (w[o + 1] & 0xFFFF) : 3]:
                    t = targets[m]
                    if t < 0:
                        t = self._emit_target(m)
                    if estate[t] == 2:
                        continue
                    if fwd[t] and (kinds[t] == _STRUCT or kinds[t] == _UNION) and w[off[t]]:
                        continue  # declared already; only a top-level visit defines it
                    self.emit_type(t, new_cont)
            elif not self.fwd_emitted[tid] and tid != cont_id:
                out.append(self.struct_fwd(tid) + ";\n\n")
                self.fwd_emitted[tid] = 1
            if top:
                out.append(self.struct_def(tid, 0) + ";\n\n")
                self.emit_state[tid] = 2
            else:
                self.emit_state[tid] = 0
        elif k == _INT:
            alias = _MISSING_ALIASES.get(self.name_of(tid))
            if alias is not None:
                out.append(f"typedef {alias} {self.name_of(tid)};\n\n")
            self.emit_state[tid] = 2
        elif k == _ENUM or k == _ENUM64:
            if cont_id == 0:
                out.append(self.enum_def(tid, 0) + ";\n\n")
            self.emit_state[tid] = 2
        elif k in _DECL_FOLLOW and k != _FUNC_PROTO:
            self.emit_type(w[o + 2], cont_id)
        elif k == _ARRAY:
            self.emit_type(w[o + 3], cont_id)
        elif k == _FWD:
            out.append(self.fwd_def(tid) + ";\n\n")
            self.emit_state[tid] = 2
        elif k == _TYPEDEF:
            self.emit_state[tid] = 1
            self.emit_type(w[o + 2], tid)
            if not self.fwd_emitted[tid] and not self.blacklisted(tid):
                out.append(self.typedef_def(tid, 0) + ";\n\n")
            self.emit_state[tid] = 2
        elif k == _FUNC_PROTO:
            estate = self.emit_state
            targets = self.emit_target
            for p in (w[o + 2], *w[o + 4 : o + 4 + 2 * (w[o + 1] & 0xFFFF) : 2]):
                t = targets[p]
                if t < 0:
                    t = self._emit_target(p)
                if estate[t] != 2 and t:
                    self.emit_type(t, cont_id)

    def _emit_target(self, tid: int) -> int:
        """What emitting ``tid`` amounts to: pointers, arrays and qualifiers pass it to what they wrap."""
        w = self.w
        kinds = self.kinds
        off = self.off
        m = tid
        for _ in range(_MAX_CHAIN):
            k = kinds[m]
            if k == _PTR or k == _CONST or k == _VOLATILE or k == _RESTRICT or k == _TYPE_TAG:
                m = w[off[m] + 2]
            elif k == _ARRAY:
                m = w[off[m] + 3]
            else:
                break
        else:
            raise BTFError(f"type id {tid}: type chain too deep or cyclic", section=".BTF")
        self.emit_target[tid] = m
        return m

    def blacklisted(self, tid: int) -> bool:
        # A compiler built-in: redefining it breaks compilation with another compiler.
        return self.name_of(tid) == "__builtin_va_list"

    def struct_fwd(self, tid: int) -> str:
        kw = "struct" if self.kinds[tid] == _STRUCT else "union"
        name = self.type_name(tid)
        return f"{kw} {name}" if name else kw

    def fwd_def(self, tid: int) -> str:
        kw = "union" if self.w[self.off[tid] + 1] >> 31 else "struct"
        return f"{kw} {self.type_name(tid)}"

    def typedef_def(self, tid: int, lvl: int) -> str:
        name = self.ident_name(tid)
        target = self.w[self.off[tid] + 2]
        if target == 0 and name == "__gnuc_va_list":
            return "typedef __builtin_va_list __gnuc_va_list"
        return "typedef " + self.decl(target, name, lvl)

    def enum_def(self, tid: int, lvl: int) -> str:
        w = self.w
        o = self.off[tid]
        info = w[o + 1]
        vlen = info & 0xFFFF
        signed = bool(info >> 31)
        name = self.type_name(tid)
        head = f"enum {name}" if name else "enum"
        if not vlen:
            return head
        parts = [head, " {"]
        pfx = "\n" + _pfx(lvl + 1)
        idents = self.ident_names
        values: list[int] = []
        names = self._strings_at
        if self.kinds[tid] == _ENUM:
            end = o + 3 + 2 * vlen
            values = list(w[o + 4 : end : 2])
            if signed:
                values = [v - (1 << 32) if v >= 1 << 31 else v for v in values]
            for vname, v in zip(names(w[o + 3 : end : 2]), values, strict=True):
                count = idents.get(vname, 0) + 1
                idents[vname] = count
                if count > 1:
                    vname = f"{vname}___{count}"
                parts.append(f"{pfx}{vname} = {v},")
        else:
            for j in range(o + 3, o + 3 + 3 * vlen, 3):
                v = (w[j + 2] << 32) | w[j + 1]
                if signed and v >= 1 << 63:
                    v -= 1 << 64
                values.append(v)
                vname = self._string_at(w[j])
                count = idents.get(vname, 0) + 1
                idents[vname] = count
                if count > 1:
                    vname = f"{vname}___{count}"
                parts.append(f"{pfx}{vname} = {v}{'LL' if signed else 'ULL'},")
        parts.append("\n" + _pfx(lvl) + "}")
        size = w[o + 2]
        if size != _natural_enum_size(values):
            mode = _ENUM_MODES.get(size)
            if mode is not None:
                parts.append(f" __attribute__((mode({mode})))")
        return "".join(parts)

    def struct_def(self, tid: int, lvl: int) -> str:
        """The ``struct``/``union`` definition, with whatever padding and attributes its layout needs.

        This runs for every member of every struct in vmlinux, hence the inlined cache lookups.
        """
        w = self.w
        o = self.off[tid]
        info = w[o + 1]
        kflag = info >> 31
        is_struct = self.kinds[tid] == _STRUCT
        size = w[o + 2]
        n = self.t.n
        align = self.align_of(tid)
        packed = self.packed[tid]
        name = self.type_name(tid)
        kw = "struct" if is_struct else "union"
        parts = [f"{kw} {name} {{" if name else f"{kw} {{"]
        inner = _pfx(lvl + 1)
        sep = "\n" + inner
        lvl1 = lvl + 1
        off = 0
        prev_bitfield = False
        max_end = 0
        str_cache = self.str_cache
        text = self.text
        text_len = len(text) if text is not None else 0
        named = self.decl_named
        scache = self.size_cache
        acache = self.align_cache
        append = parts.append
        end = o + 3 + 3 * (info & 0xFFFF)
        for name_off, mtype, m_off in zip(
            w[o + 3 : end : 3], w[o + 4 : end : 3], w[o + 5 : end : 3], strict=True
        ):
            if mtype >= n:
                self.check_id(mtype, tid)
            if kflag:
                m_sz = m_off >> 24
                m_off &= 0xFFFFFF
            else:
                m_sz = 0
            fname = str_cache.get(name_off)
            if fname is None:
                if text is not None and name_off < text_len:
                    fname = str_cache[name_off] = text[name_off : text.find("\0", name_off)]
                else:
                    fname = self.str_at(name_off)
            if off < m_off and is_struct:
                m_align = 1 if packed else (acache[mtype] or self.align_of(mtype))
                _bit_padding(parts, off, m_off, m_align, prev_bitfield and m_sz != 0, inner)
            tmpl = named.get(mtype) if fname else None
            if m_sz:
                decl = tmpl[0] + fname + tmpl[1] if tmpl is not None else self.decl(mtype, fname, lvl1)
                append(f"{sep}{decl}: {m_sz};")
                off = m_off + m_sz
                prev_bitfield = True
                if not is_struct and (off + 7) >> 3 > max_end:
                    max_end = (off + 7) >> 3
                continue
            if tmpl is not None:
                append(f"{sep}{tmpl[0]}{fname}{tmpl[1]};")
            else:
                append(f"{sep}{self.decl(mtype, fname, lvl1)};")
            msize = scache[mtype]
            if msize < 0:
                msize = self.size_of(mtype)
            off = m_off + msize * 8
            prev_bitfield = False
            if not is_struct and off >> 3 > max_end:
                max_end = off >> 3
        if is_struct and off < size * 8:
            _bit_padding(parts, off, size * 8, align, False, inner)
        if end > o + 3 or size:
            append("\n" + _pfx(lvl) + "}")
        else:
            append("}")
        if not is_struct and not packed and size > 0:
            over = _union_over_alignment(max_end, align, size)
            if over:
                append(f" __attribute__((aligned({over})))")
        if packed:
            append(" __attribute__((packed))")
        return "".join(parts)

    # ------------------------------------------------------------------ declarators

    def decl(self, tid: int, fname: str, lvl: int) -> str:
        """``fname`` declared with type ``tid`` in C syntax (``int (*fname[4])(void)``)."""
        if fname:
            tmpl = self.decl_named.get(tid)
            if tmpl is not None:
                return tmpl[0] + fname + tmpl[1]
        else:
            text = self.decl_anon.get(tid)
            if text is not None:
                return text
        simple = self._simple_decl(tid)
        if simple is not None:
            before, anon = simple
            self.decl_named[tid] = (before, "")
            self.decl_anon[tid] = anon
            return before + fname if fname else anon
        saved = self.inlined
        self.inlined = False
        parts: list[str] = []
        self._decl_into(tid, "\x00" if fname else "", lvl, parts)
        text = "".join(parts)
        cacheable = not self.inlined
        self.inlined = saved or self.inlined
        if fname:
            before, _, after = text.partition("\x00")
            if cacheable:
                self.decl_named[tid] = (before, after)
            return before + fname + after
        if cacheable:
            self.decl_anon[tid] = text
        return text

    def _simple_decl(self, tid: int) -> tuple[str, str] | None:
        """The common declarators without the general machinery: ``[cv] base *...``, as
        (text before a name, text without a name); None when the chain is anything else.
        """
        w = self.w
        kinds = self.kinds
        off = self.off
        n = self.t.n
        cur = tid
        stars = 0
        while cur and cur < n and kinds[cur] == _PTR and stars < 8:
            stars += 1
            cur = w[off[cur] + 2]
        mods = ""
        for _ in range(4):
            if not cur or cur >= n:
                break
            k = kinds[cur]
            if k == _CONST:
                mods = "const " + mods
            elif k == _VOLATILE:
                mods = "volatile " + mods
            elif k == _RESTRICT:
                mods = "restrict " + mods
            else:
                break
            cur = w[off[cur] + 2]
        if cur >= n:
            return None
        if cur == 0:
            base = "void"
        else:
            k = kinds[cur]
            o = off[cur]
            if k == _INT or k == _FLOAT:
                base = self.str_at(w[o])
            elif (k == _STRUCT or k == _UNION) and w[o]:
                base = self.struct_fwd(cur)
            elif (k == _ENUM or k == _ENUM64) and w[o]:
                base = "enum " + self.type_name(cur)
            elif k == _FWD:
                base = self.fwd_def(cur)
            elif k == _TYPEDEF and not self.blacklisted(cur):
                base = self.ident_name(cur)
            else:
                return None
        text = mods + base
        if stars:
            text += " " + "*" * stars
            return text, text
        return text + " ", text

    def _decl_into(self, tid: int, fname: str, lvl: int, parts: list[str]) -> None:
        stack: list[int] = []
        w = self.w
        kinds = self.kinds
        off = self.off
        n = self.t.n
        cur = tid
        for _ in range(_MAX_CHAIN):
            if cur >= n:
                raise BTFError(f"type id {tid}: refers to missing type id {cur}", section=".BTF")
            k = kinds[cur] if cur else _VOID
            if k == _TYPEDEF and self.blacklisted(cur) and w[off[cur] + 2]:
                # The compiler's own __builtin_va_list differs from the kernel's (8 bytes on BPF,
                # 24 on x86-64): spell out what the kernel's was so the layouts still match.
                cur = w[off[cur] + 2]
                continue
            stack.append(cur)
            if cur == 0:
                break
            if k in _DECL_FOLLOW:
                cur = w[off[cur] + 2]
            elif k == _ARRAY:
                cur = w[off[cur] + 3]
            elif k in _DECL_STOP:
                break
            else:
                raise BTFError(
                    f"type id {cur}: {Kind(k).name} cannot be part of a declaration", section=".BTF"
                )
        else:
            raise BTFError(f"type id {tid}: declaration chain too deep or cyclic", section=".BTF")
        self._chain(stack, fname, lvl, parts)

    def _emit_mods(self, stack: list[int], parts: list[str]) -> None:
        kinds = self.kinds
        while stack:
            k = kinds[stack[-1]] if stack[-1] else _VOID
            if k == _VOLATILE:
                parts.append("volatile ")
            elif k == _CONST:
                parts.append("const ")
            elif k == _RESTRICT:
                parts.append("restrict ")
            else:
                return
            stack.pop()

    def _drop_mods(self, stack: list[int]) -> None:
        kinds = self.kinds
        while stack and stack[-1] and kinds[stack[-1]] in _MODS:
            stack.pop()

    def _chain(self, stack: list[int], fname: str, lvl: int, parts: list[str]) -> None:
        last_was_ptr = True
        w = self.w
        kinds = self.kinds
        off = self.off
        while stack:
            tid = stack.pop()
            if tid == 0:
                self._emit_mods(stack, parts)
                parts.append("void")
                last_was_ptr = False
                continue
            k = kinds[tid]
            o = off[tid]
            if k == _INT or k == _FLOAT:
                self._emit_mods(stack, parts)
                parts.append(self.str_at(w[o]))
            elif k == _STRUCT or k == _UNION:
                self._emit_mods(stack, parts)
                if w[o] == 0:
                    self.inlined = True
                    parts.append(self.struct_def(tid, lvl))
                else:
                    parts.append(self.struct_fwd(tid))
            elif k == _ENUM or k == _ENUM64:
                self._emit_mods(stack, parts)
                if w[o] == 0:
                    self.inlined = True
                    parts.append(self.enum_def(tid, lvl))
                else:
                    parts.append("enum " + self.type_name(tid))
            elif k == _FWD:
                self._emit_mods(stack, parts)
                parts.append(self.fwd_def(tid))
            elif k == _TYPEDEF:
                self._emit_mods(stack, parts)
                parts.append(self.ident_name(tid))
            elif k == _PTR:
                parts.append("*" if last_was_ptr else " *")
            elif k == _VOLATILE:
                parts.append(" volatile")
            elif k == _CONST:
                parts.append(" const")
            elif k == _RESTRICT:
                parts.append(" restrict")
            elif k == _TYPE_TAG:
                self._emit_mods(stack, parts)
                tag = self.str_at(w[o])
                if w[o + 1] >> 31:
                    parts.append(f" __attribute__(({tag}))")
                else:
                    self.uses_type_tag = True
                    parts.append(f" __btf_type_tag({_c_string(tag)})")
            elif k == _ARRAY:
                self._drop_mods(stack)
                nelems = w[o + 5]
                if not stack:
                    _emit_name(parts, fname, last_was_ptr)
                    parts.append(f"[{nelems}]")
                    return
                multidim = stack[-1] != 0 and kinds[stack[-1]] == _ARRAY
                if fname and not last_was_ptr:
                    parts.append(" ")
                if not multidim:
                    parts.append("(")
                self._chain(stack, fname, lvl, parts)
                if not multidim:
                    parts.append(")")
                parts.append(f"[{nelems}]")
                return
            elif k == _FUNC_PROTO:
                self._drop_mods(stack)
                if stack:
                    parts.append(" (")
                    self._chain(stack, fname, lvl, parts)
                    parts.append(")")
                else:
                    _emit_name(parts, fname, last_was_ptr)
                parts.append("(")
                vlen = w[o + 1] & 0xFFFF
                p0 = o + 3
                if vlen == 0 or (vlen == 1 and w[p0 + 1] == 0):
                    parts.append("void)")
                    return
                for i in range(vlen):
                    if i:
                        parts.append(", ")
                    ptype = w[p0 + 2 * i + 1]
                    if i == vlen - 1 and ptype == 0:
                        parts.append("...")
                        break
                    parts.append(self.decl(ptype, self.str_at(w[p0 + 2 * i]), lvl))
                parts.append(")")
                return
            last_was_ptr = k == _PTR
        _emit_name(parts, fname, last_was_ptr)

    # ------------------------------------------------------------------ driver

    def dump_type(self, tid: int) -> None:
        queue = self.queue
        queue.clear()
        self.order_type(tid, False)
        if queue:
            for qid in list(queue):
                self.emit_type(qid, 0)

    def dump_all(self) -> None:
        """``dump_type`` of every id, skipping those that cannot queue anything (most of vmlinux)."""
        kinds = self.kinds
        ostate = self.order_state
        w = self.w
        off = self.off
        n = self.t.n
        dump_type = self.dump_type
        for tid in range(1, n):
            k = kinds[tid]
            if k == _FUNC or ostate[tid] == 2:
                continue
            if k == _FUNC_PROTO:
                # Most prototypes only take ints and pointers to named structs: nothing to queue.
                # Return and parameter types are one stride-2 slice (parameter names between).
                o = off[tid]
                for p in w[o + 2 : o + 4 + 2 * (w[o + 1] & 0xFFFF) : 2]:
                    if ostate[p] == 2 or p == 0:
                        continue
                    if kinds[p] == _PTR:
                        target = w[off[p] + 2]
                        if (
                            target < n
                            and (kinds[target] == _STRUCT or kinds[target] == _UNION)
                            and w[off[target]]
                        ):
                            ostate[p] = 2
                            continue
                    break
                else:
                    continue
            elif k == _PTR:
                target = w[off[tid] + 2]
                if target < n and (kinds[target] == _STRUCT or kinds[target] == _UNION) and w[off[target]]:
                    ostate[tid] = 2
                    continue
            elif k == _INT or k == _DECL_TAG or k == _VAR or k == _DATASEC or k == _FLOAT:
                continue
            elif k == _CONST or k == _VOLATILE or k == _ARRAY:
                target = w[off[tid] + (3 if k == _ARRAY else 2)]
                if target < n and ostate[target] == 2:
                    continue
            dump_type(tid)

    def kfuncs(self) -> list[str]:
        """``extern`` prototypes of the functions tagged ``bpf_kfunc``, sorted by name (as bpftool)."""
        w = self.w
        off = self.off
        kinds = self.kinds
        n = self.t.n
        kfuncs: dict[int, None] = {}
        fastcalls: set[int] = set()
        for i in _ids_of(kinds, b"\x11"):
            o = off[i]
            if w[o + 3] != 0xFFFFFFFF:
                continue
            target = w[o + 2]
            if target >= n or kinds[target] != _FUNC:
                continue
            tag = self.str_at(w[o])
            if tag == _KFUNC_TAG:
                kfuncs[target] = None
            elif tag == _FASTCALL_TAG:
                fastcalls.add(target)
        lines = []
        for fid in sorted(kfuncs, key=lambda f: (self.name_of(f).encode(), f)):
            proto = w[off[fid] + 2]
            fast = "__bpf_fastcall " if fid in fastcalls else ""
            lines.append(f"extern {fast}{self.decl(proto, self.name_of(fid), 0)} __weak __ksym;\n")
        return lines


def _ids_of(kinds: bytes, wanted: bytes) -> list[int]:
    """Ids whose kind byte is one of ``wanted``: a character class over the kinds, searched in C."""
    return [m.start() for m in re.finditer(b"[" + re.escape(wanted) + b"]", kinds)]


def _emit_name(parts: list[str], fname: str, last_was_ptr: bool) -> None:
    if fname and not last_was_ptr:
        parts.append(" ")
    parts.append(fname)


def _c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _natural_enum_size(values: list[int]) -> int:
    """The size a C compiler gives an enum with these enumerators (int unless they need 64 bits)."""
    if not values:
        return 4
    lo = min(values)
    hi = max(values)
    if lo >= -(1 << 31) and hi < (1 << 31):
        return 4
    if lo >= 0 and hi < (1 << 32):
        return 4
    return 8


def _union_over_alignment(max_end: int, align: int, size: int) -> int:
    """The ``aligned(N)`` a union needs to reach ``size`` from its members, or 0 if none is needed."""
    natural = -(-max_end // align) * align
    if natural >= size:
        return 0
    n = align * 2
    while n <= size:
        if -(-max_end // n) * n == size:
            return n
        n *= 2
    return 0


def _bit_padding(parts: list[str], cur: int, nxt: int, next_align: int, in_bitfield: bool, pfx: str) -> None:
    """Explicit unnamed bitfields so the next member lands at bit ``nxt`` whatever its alignment."""
    if cur >= nxt:
        return
    if nxt - cur > _MAX_PAD_BITS:
        raise BTFError(f"implausible gap of {(nxt - cur) // 8} bytes between members", section=".BTF")
    # The widest padding type that can reach an aligned offset without overshooting the gap.
    pad_type, pad_bits = next(((t, b) for t, b in _PADS if -(-cur // b) * b <= nxt), _PADS[-1])
    new_off = -(-cur // pad_bits) * pad_bits
    if cur < new_off <= nxt:
        if (
            in_bitfield
            or (new_off == nxt and -(-cur // (next_align * 8)) * (next_align * 8) != new_off)
            or (new_off != nxt and nxt - new_off <= new_off - cur)
        ):
            parts.append(f"\n{pfx}{pad_type}: {new_off - cur if in_bitfield else 0};")
        cur = new_off
    while cur != nxt:
        bits = min(nxt - cur, pad_bits)
        if bits == pad_bits:
            parts.append(f"\n{pfx}{pad_type}: {pad_bits};")
            cur += bits
            continue
        for small_type, small_bits in reversed(_PADS):
            if small_bits >= bits:
                parts.append(f"\n{pfx}{small_type}: {bits};")
                cur += bits
                break


def dump_c(btf: BTF, *, type_ids: Iterable[int] | None = None) -> str:
    """The C header for ``btf``: every type (and the kfunc prototypes) or ``type_ids`` and what they need.

    Raises :class:`~pybpf.btf.errors.BTFError` for BTF that cannot be written as C (dangling
    references, cycles only through values, malformed records).
    """
    # The dump allocates hundreds of thousands of small objects and frees none of them before the
    # end: the cyclic collector would only rescan them, over and over (a quarter of the time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _dump(btf, type_ids)
    except BTFError:
        raise
    except RecursionError as exc:
        raise BTFError("type graph nested too deeply to dump", section=".BTF") from exc
    except (IndexError, ValueError, struct.error, OverflowError, UnicodeError) as exc:
        raise BTFError(f"malformed BTF ({exc})", section=".BTF") from exc
    finally:
        if gc_was_enabled:
            gc.enable()


def _dump(btf: BTF, type_ids: Iterable[int] | None) -> str:
    tab = _Table(btf)
    body: list[str] = []
    d = _Dumper(tab, body)
    old_limit = sys.getrecursionlimit()
    if old_limit < 10000:
        sys.setrecursionlimit(10000)
    try:
        if type_ids is not None:
            for tid in type_ids:
                if not 0 < tid < tab.n:
                    raise BTFError(f"no type id {tid} (valid: 1..{tab.n - 1})", section=".BTF")
                d.dump_type(tid)
            kfuncs: list[str] = []
        else:
            d.dump_all()
            kfuncs = d.kfuncs()
    finally:
        sys.setrecursionlimit(old_limit)
    parts = [_HEADER]
    if d.uses_type_tag:
        parts.append(_TYPE_TAG_GUARD)
    parts.extend(body)
    if kfuncs:
        parts.append("\n/* BPF kfuncs */\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n")
        parts.extend(kfuncs)
        parts.append("#endif\n\n")
    parts.append(_FOOTER)
    return "".join(parts)


__all__ = ["dump_c"]
