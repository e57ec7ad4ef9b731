"""``pybpf run`` as a library: auto-attach by section name, event type inference, the run loop.

``attach_all(obj)`` is what ``Object.attach_all()`` uses; ``run(path, RunOptions(...))`` is the
whole command.
"""

from __future__ import annotations

from .autoattach import AttachReport, NotAutoAttachable, Skipped, attach_all, attach_program
from .eventtypes import BTFEventType, EventType, RawEventType
from .infer import EventSite, EventTypeError, Inferred, find_event_sites, infer_event_types
from .loading import load_skipping_refused
from .session import RunError, RunOptions, RunSummary, Session, run
from .setvars import SetError, apply_assignments

__all__ = [
    "AttachReport",
    "BTFEventType",
    "EventSite",
    "EventType",
    "EventTypeError",
    "Inferred",
    "NotAutoAttachable",
    "RawEventType",
    "RunError",
    "RunOptions",
    "RunSummary",
    "Session",
    "SetError",
    "Skipped",
    "apply_assignments",
    "attach_all",
    "attach_program",
    "find_event_sites",
    "infer_event_types",
    "load_skipping_refused",
    "run",
]
