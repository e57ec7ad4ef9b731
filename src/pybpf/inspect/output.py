"""Printing records the way bpftool does: a JSON array (one object for a single selected one),
or each record's plain text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol


class Record(Protocol):
    def json(self) -> Any: ...

    def plain(self) -> str: ...


def render(records: Sequence[Record], *, as_json: bool, single: bool = False) -> str:
    """The text to print; ``single`` (a selector naming one object) prints an object, not a list."""
    if as_json:
        data: Any = [r.json() for r in records]
        return json.dumps(data[0] if single and len(data) == 1 else data)
    return "\n".join(r.plain() for r in records)


__all__ = ["Record", "render"]
