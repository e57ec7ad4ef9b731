"""Click groups whose subcommands are named up front and imported only when one runs.

``pybpf --help`` and ``pybpf btf dump FILE`` should not pay for importing every subcommand's
machinery (the kernel inspectors, the VM, the compiler driver), and a broken optional part must
not stop the others from working.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import ClassVar

import click


class LazyCommands(click.Group):
    """A group whose ``lazy_commands`` (name → module under ``pybpf.cli``, attribute) load on use.

    Commands registered the usual way (``@group.command()``) work alongside them.
    """

    lazy_commands: ClassVar[Mapping[str, tuple[str, str]]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        entry = self.lazy_commands.get(cmd_name)
        if command is None and entry is not None:
            module_name = f"{__package__}.{entry[0]}"
            __import__(module_name)
            command = getattr(sys.modules[module_name], entry[1])
        return command


__all__ = ["LazyCommands"]
