"""Queue (FIFO) and stack (LIFO) maps: no keys, values pushed and popped whole."""

from __future__ import annotations

import errno as _errno
from collections import deque

from .base import ANY, EXIST, MapOpError, Storage


class QueueStorage(Storage):
    """``BPF_MAP_TYPE_QUEUE``; a full queue refuses a push unless ``BPF_EXIST`` asks to drop
    the oldest value."""

    keyless = True
    lifo = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.values: deque[bytes] = deque()

    def push(self, value: bytes, flags: int = ANY) -> None:
        if flags & ~EXIST:
            raise MapOpError(_errno.EINVAL, f"invalid push flags {flags:#x}")
        self._check_value(value, self.value_size)
        if len(self.values) >= self.max_entries:
            if not flags & EXIST:
                raise MapOpError(_errno.E2BIG, f"the {self.type.name.lower()} is full")
            self.values.popleft()
        self.values.append(bytes(value))

    def update(self, key: bytes, value: bytes, flags: int = ANY, *, from_program: bool = False) -> None:
        self.push(value, flags)

    def _next(self) -> bytes:
        if not self.values:
            raise MapOpError(_errno.ENOENT, f"the {self.type.name.lower()} is empty")
        return self.values[-1] if self.lifo else self.values[0]

    def peek(self) -> bytes:
        return self._next()

    def pop(self) -> bytes:
        value = self._next()
        if self.lifo:
            self.values.pop()
        else:
            self.values.popleft()
        return value

    def count(self) -> int:
        return len(self.values)


class StackStorage(QueueStorage):
    """``BPF_MAP_TYPE_STACK``: the most recent push comes out first (a full stack with
    ``BPF_EXIST`` still drops the oldest value)."""

    lifo = True


__all__ = ["QueueStorage", "StackStorage"]
