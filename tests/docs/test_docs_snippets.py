"""Every example in docs/*.md runs: the documentation cannot drift from the code without a failure.

Python blocks of one file run in order in one fresh namespace, with the working directory a temp
dir holding the example sources and their objects (built by ``pybpf.cc.build``), so a tutorial's
later steps may use what its earlier steps made.  A block whose comment lines say
``# needs: kernel`` runs only where bpf() works (the other blocks must not depend on it);
``# not run: <reason>`` marks a fragment that is shown but never executed.

A block of another language (C, assembly) whose first line is ``// file: NAME`` is written to NAME in that directory before the
blocks after it run, so the C a tutorial shows is the C it builds.

A ```console block whose first line is ``$ pybpf ...`` runs every ``$ pybpf`` line and checks the
exit code (0 unless said otherwise).  The output shown is not compared verbatim: it was captured on
one machine.  An HTML comment right before a block may say, separated by ``;``:
``needs: kernel``, ``exit: N``, and ``stable: TEXT`` (repeatable), TEXT being a line fragment the
real output of the block's commands must contain.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testlib import EXAMPLES, ROOT, bpf_refusal, require_kernel_feature

DOCS = ROOT / "docs"
#: The example objects every doc may use by name (``xdp.bpf.o`` and so on) in its working dir.
EXAMPLE_OBJECTS = ("minimal", "xdp", "sockfilter", "bootstrap")
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
DIRECTIVE = re.compile(r"<!--((?:(?!-->).)*)-->\s*\Z", re.S)


@dataclass
class Block:
    """One fenced block of a doc, with what its marks ask of the test."""

    lang: str
    text: str
    line: int
    directives: dict[str, list[str]] = field(default_factory=dict)

    @property
    def python_marks(self) -> dict[str, str]:
        marks = {}
        for raw in self.text.splitlines():
            found = re.match(r"\s*#\s*(needs|not run):\s*(.*)$", raw)
            if found:
                marks[found.group(1)] = found.group(2).strip()
        return marks

    @property
    def needs_kernel(self) -> bool:
        return self.python_marks.get("needs") == "kernel" or "kernel" in self.directives.get("needs", [])

    @property
    def exit_code(self) -> int:
        return int(self.directives.get("exit", ["0"])[0])


def parse_blocks(markdown: str) -> list[Block]:
    """The fenced blocks of a Markdown text, each with the directives of an HTML comment before it."""
    blocks = []
    for found in FENCE.finditer(markdown):
        before = markdown[: found.start()].rstrip()
        directives: dict[str, list[str]] = {}
        comment = DIRECTIVE.search(before)
        if comment:
            for part in comment.group(1).strip().split(";"):
                key, _, value = part.partition(":")
                if value:
                    directives.setdefault(key.strip(), []).append(value.strip())
        line = markdown.count("\n", 0, found.start()) + 1
        blocks.append(Block(found.group(1), found.group(2), line, directives))
    return blocks


def console_commands(block: Block) -> list[list[str]]:
    """The ``$ pybpf`` lines of a console block, split as a shell would (no pipes or redirections)."""
    return [shlex.split(raw[2:]) for raw in block.text.splitlines() if raw.startswith("$ pybpf")]


def doc_files() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md") if p.name != "architecture.md")


@dataclass
class Examples:
    """The example sources and objects, and why an example did not build (by object name)."""

    path: Path
    failures: dict[str, str]


@pytest.fixture(scope="module")
def built_examples(tmp_path_factory: pytest.TempPathFactory) -> Examples:
    from pybpf import CompileError
    from pybpf.cc import build

    path = tmp_path_factory.mktemp("docs-examples")
    for source in EXAMPLES.iterdir():
        if source.suffix in (".c", ".h"):
            shutil.copy(source, path / source.name)
    failures = {}
    for name in EXAMPLE_OBJECTS:
        try:
            build(path / f"{name}.bpf.c", path / f"{name}.bpf.o")
        except CompileError as exc:  # fails only the docs that use this object, below
            failures[f"{name}.bpf.o"] = str(exc)
    return Examples(path, failures)


@pytest.fixture
def workdir(built_examples: Examples, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy per test, so no doc sees files another doc's examples wrote."""
    path = tmp_path / "work"
    shutil.copytree(built_examples.path, path)
    monkeypatch.chdir(path)
    return path


def check_examples_built(doc: Path, examples: Examples) -> None:
    text = doc.read_text()
    broken = {name: error for name, error in examples.failures.items() if name in text}
    assert not broken, f"{doc.name} uses examples that do not build: {broken}"


def _run_python(block: Block, namespace: dict[str, object], doc: Path) -> None:
    code = compile("\n" * (block.line) + block.text, str(doc), "exec")
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code, namespace)


def _run_console(block: Block, doc: Path, cwd: Path) -> None:
    output = ""
    for argv in console_commands(block):
        done = subprocess.run(
            [sys.executable, "-m", *argv],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "100"},
        )
        where = f"{doc.name}:{block.line}: $ {shlex.join(argv)}"
        assert done.returncode == block.exit_code, f"{where} exited {done.returncode}\n{done.stderr}"
        output += done.stdout + done.stderr
    for text in block.directives.get("stable", []):
        assert text in output, f"{doc.name}:{block.line}: the output lacks {text!r}:\n{output}"


def run_doc(doc: Path, workdir: Path, *, with_kernel: bool) -> list[int]:
    """Run the doc's examples in order; returns the lines of the kernel blocks left out."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    skipped = []
    for block in parse_blocks(doc.read_text()):
        if block.lang not in ("python", "console") and block.text.startswith("// file: "):
            name = block.text.splitlines()[0].removeprefix("// file: ").strip()
            (workdir / name).write_text(block.text)
            continue
        runnable_python = block.lang == "python" and "not run" not in block.python_marks
        runnable_console = block.lang == "console" and block.text.startswith("$ pybpf")
        if not (runnable_python or runnable_console):
            continue
        if block.needs_kernel and not with_kernel:
            skipped.append(block.line)
        elif runnable_python:
            _run_python(block, namespace, doc)
        else:
            _run_console(block, doc, workdir)
    return skipped


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: p.name)
def test_every_example_of_the_doc_runs(doc: Path, workdir: Path, built_examples: Examples) -> None:
    check_examples_built(doc, built_examples)
    refusal = bpf_refusal()
    skipped = run_doc(doc, workdir, with_kernel=not refusal)
    require_kernel_feature(not skipped, f"{doc.name}: blocks at lines {skipped} need bpf(): {refusal}")


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: p.name)
def test_examples_not_marked_as_needing_the_kernel_run_without_it(
    doc: Path, workdir: Path, built_examples: Examples
) -> None:
    check_examples_built(doc, built_examples)
    run_doc(doc, workdir, with_kernel=False)


SAMPLE = """intro <!-- exit: 9 --> text
<!-- needs: kernel; exit: 2; stable: usage -->
```console
$ pybpf build --bad 'a b'
out
```
```python
# not run: a fragment
x = 1
```
"""


def test_blocks_carry_the_directives_of_the_comment_before_them() -> None:
    console, python = parse_blocks(SAMPLE)
    assert (console.needs_kernel, console.exit_code, console.directives["stable"]) == (True, 2, ["usage"])
    assert python.directives == {} and python.python_marks == {"not run": "a fragment"}


LINE = st.text(st.characters(codec="utf-8", blacklist_characters="`\n\r"), max_size=30)


@settings(max_examples=60, deadline=None)
@given(bodies=st.lists(st.lists(LINE, max_size=4), min_size=1, max_size=3))
def test_parsed_blocks_hold_each_fenced_text_unchanged(bodies: list[list[str]]) -> None:
    texts = ["".join(f"{line}\n" for line in body) for body in bodies]
    markdown = "".join(f"para {i}\n\n```python\n{text}```\n\n" for i, text in enumerate(texts))
    assert [(b.lang, b.text) for b in parse_blocks(markdown)] == [("python", t) for t in texts]


def test_console_commands_are_split_like_a_shell() -> None:
    assert console_commands(parse_blocks(SAMPLE)[0]) == [["pybpf", "build", "--bad", "a b"]]


@pytest.mark.parametrize("doc", doc_files(), ids=lambda p: p.name)
def test_every_python_block_of_the_doc_compiles(doc: Path) -> None:
    for block in parse_blocks(doc.read_text()):
        if block.lang == "python":
            compile(block.text, f"{doc.name}:{block.line}", "exec")


def _leaf_commands() -> list[tuple[str, list[str]]]:
    import click

    from pybpf.cli.main import cli

    ctx = click.Context(cli)
    found = []

    def walk(group: click.Group, path: list[str]) -> None:
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            if isinstance(cmd, click.Group):
                walk(cmd, [*path, name])
            elif cmd is not None:
                opts = [
                    o for p in cmd.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")
                ]
                found.append((" ".join([*path, name]), opts))

    walk(cli, [])
    return found


def test_cli_doc_shows_the_help_of_every_subcommand_with_every_long_option() -> None:
    text = (DOCS / "cli.md").read_text()
    missing = [
        f"{name} {opt}"
        for name, opts in _leaf_commands()
        for opt in ["--help", *opts]
        if f"$ pybpf {name} --help" not in text or opt not in text
    ]
    assert not missing, f"docs/cli.md lacks (regenerate from --help): {missing}"
