"""The keyword arguments of bpftool's map commands (``key ... value ... noexist``)."""

from __future__ import annotations

from collections.abc import Sequence

from pybpf.kernel import UpdateFlags, map_create

from .errors import InspectError
from .names import parse_map_type
from .pinning import pin_object

_FLAGS = {"any": UpdateFlags.ANY, "exist": UpdateFlags.EXIST, "noexist": UpdateFlags.NOEXIST}


def split_words(
    words: Sequence[str], keywords: Sequence[str], *, flags: Sequence[str] = ()
) -> dict[str, list[str]]:
    """Group ``words`` under the keywords that lead them; bare flag words go under ``flags``.

    ``key 1 0 0 0 value 2 0 0 0 noexist`` -> ``{"key": [...], "value": [...], "flags": ["noexist"]}``.
    """
    out: dict[str, list[str]] = {}
    current: str | None = None
    for word in words:
        if word in keywords:
            if word in out:
                raise InspectError(f"{word!r} given twice")
            out[word] = []
            current = word
        elif word in flags:
            out.setdefault("flags", []).append(word)
            current = None
        elif current is None:
            expected = " | ".join(keywords)
            raise InspectError(f"unexpected {word!r} (expected {expected})")
        else:
            out[current].append(word)
    return out


def update_flags(words: Sequence[str]) -> int:
    """The ``BPF_ANY``/``BPF_EXIST``/``BPF_NOEXIST`` value of the flag words (at most one)."""
    if len(words) > 1:
        raise InspectError(f"only one of any, exist, noexist may be given, not {' '.join(words)}")
    return int(_FLAGS[words[0]]) if words else int(UpdateFlags.ANY)


def _number(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise InspectError(f"{what} must be a number, not {text!r}") from None


def create_map(path: str, words: Sequence[str]) -> int:
    """Create the map ``words`` describe and pin it at ``path``; returns its id."""
    from pybpf.kernel import map_info

    parts = split_words(words, ("type", "key", "value", "entries", "name", "flags"))
    missing = [k for k in ("type", "key", "value", "entries") if len(parts.get(k, [])) != 1]
    if missing:
        raise InspectError(f"map create needs one value for each of: {', '.join(missing)}")
    for optional in ("name", "flags"):
        if optional in parts and len(parts[optional]) != 1:
            raise InspectError(f"{optional} takes one value")
    fd = map_create(
        parse_map_type(parts["type"][0]),
        _number(parts["key"][0], "key"),
        _number(parts["value"][0], "value"),
        _number(parts["entries"][0], "entries"),
        _number(parts["flags"][0], "flags") if "flags" in parts else 0,
        parts["name"][0] if "name" in parts else "",
    )
    with fd:
        pin_object(fd, path)
        return map_info(fd).id


__all__ = ["create_map", "split_words", "update_flags"]
