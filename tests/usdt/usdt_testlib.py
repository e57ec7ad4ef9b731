"""The traced program the USDT tests run, shared by their fixtures and tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

DATA = Path(__file__).parent / "data"


class Target:
    """A running ``usdt_target``: each :meth:`fire` makes it hit every probe once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.proc = subprocess.Popen([str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def fire(self, times: int = 1) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        for _ in range(times):
            self.proc.stdin.write("go\n")
            self.proc.stdin.flush()
            assert self.proc.stdout.readline().strip() == "fired"

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
