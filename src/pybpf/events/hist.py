"""Text histograms of bucket → count maps, the way BPF tracing tools print latencies.

Programs bucket values by ``log2`` (bucket *k* holds values in ``[2^(k-1), 2^k - 1]``, bucket 0
holds 0) or linearly; these functions only format, so they work on any dict the caller read.
"""

from __future__ import annotations

from collections.abc import Mapping

BAR_WIDTH = 40


def _bar(count: int, largest: int, width: int) -> str:
    filled = 0 if largest <= 0 else min(width, (count * width) // largest)
    return "*" * filled + " " * (width - filled)


def log2_bounds(bucket: int) -> tuple[int, int]:
    """The value range of log2 bucket ``bucket`` (0 holds only 0, 1 only 1, 2 holds 2..3)."""
    if bucket <= 0:
        return 0, 0
    if bucket == 1:
        return 1, 1
    return 1 << (bucket - 1), (1 << bucket) - 1


def format_log2_hist(buckets: Mapping[int, int], value_name: str = "value", *, width: int = BAR_WIDTH) -> str:
    """Rows ``low -> high : count |***|`` from bucket 0 (or 1) up to the last non-empty bucket."""
    used = {k: v for k, v in buckets.items() if v}
    if not used:
        return ""
    last = max(used)
    first = 0 if 0 in used else 1
    largest = max(used.values())
    rows = [(f"{log2_bounds(b)[0]} -> {log2_bounds(b)[1]}", used.get(b, 0)) for b in range(first, last + 1)]
    return _render(rows, value_name, largest, width)


def format_linear_hist(
    buckets: Mapping[int, int], value_name: str = "value", *, step: int = 1, width: int = BAR_WIDTH
) -> str:
    """Rows for linear buckets: bucket *k* covers ``[k*step, (k+1)*step - 1]`` (just ``k`` for step 1)."""
    used = {k: v for k, v in buckets.items() if v}
    if not used:
        return ""
    largest = max(used.values())
    rows = []
    for b in range(min(used), max(used) + 1):
        label = str(b * step) if step == 1 else f"{b * step} -> {(b + 1) * step - 1}"
        rows.append((label, used.get(b, 0)))
    return _render(rows, value_name, largest, width)


def _render(rows: list[tuple[str, int]], value_name: str, largest: int, width: int) -> str:
    label_width = max(len(value_name), *(len(label) for label, _ in rows))
    count_width = max(len("count"), *(len(str(count)) for _, count in rows))
    lines = [f"{value_name:>{label_width}} : {'count':<{count_width}} distribution"]
    for label, count in rows:
        lines.append(f"{label:>{label_width}} : {count:<{count_width}} |{_bar(count, largest, width)}|")
    return "\n".join(lines)


def print_log2_hist(buckets: Mapping[int, int], value_name: str = "value") -> None:
    """Print :func:`format_log2_hist`."""
    text = format_log2_hist(buckets, value_name)
    if text:
        print(text)


def print_linear_hist(buckets: Mapping[int, int], value_name: str = "value", *, step: int = 1) -> None:
    """Print :func:`format_linear_hist`."""
    text = format_linear_hist(buckets, value_name, step=step)
    if text:
        print(text)


__all__ = [
    "format_linear_hist",
    "format_log2_hist",
    "log2_bounds",
    "print_linear_hist",
    "print_log2_hist",
]
