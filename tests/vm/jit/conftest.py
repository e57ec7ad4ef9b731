"""JIT tests reuse the interpreter tests' helpers (tests/vm) and skip as a whole without llvmlite."""

from __future__ import annotations

import sys
from pathlib import Path

VM_TESTS = Path(__file__).resolve().parent.parent
if str(VM_TESTS) not in sys.path:
    sys.path.insert(0, str(VM_TESTS))
