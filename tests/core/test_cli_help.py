"""`python -m core --help` and the help of every command, and output cut short by a reader such as `head`."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest

from core.cli.main import build_parser, main


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The main command and every command below it, as read from the parser: one added later is covered too."""
    found = [path]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += commands(sub, (*path, name))
    return found


def children(path: tuple[str, ...]) -> list[str]:
    return [c[-1] for c in commands(build_parser()) if len(c) == len(path) + 1 and c[:len(path)] == path]


COMMANDS = commands(build_parser())


def test_every_command_is_found():
    assert {("train",), ("submit",), ("report",), ("datasets", "rename"), ("datasets", "delete")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "main")
def test_help_of_every_command(path, capsys):
    with pytest.raises(SystemExit) as exit:
        main([*path, "--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {' '.join(['python -m core', *path])}")
    for child in children(path):
        assert child in out


def pipe_with_reader_gone(args: list[str], tmp_path) -> subprocess.CompletedProcess:
    """`python -m core ARGS` writing into a pipe whose reader has already closed it, as `| head -1` does once it has
    its line: every write the command makes fails."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "core", *args], stdout=write, stderr=subprocess.PIPE, text=True,
                              cwd=tmp_path, env=os.environ.copy(), timeout=120)
    finally:
        os.close(write)


def test_output_into_a_closed_pipe_ends_quietly(workspace, tmp_path):
    done = pipe_with_reader_gone(["architectures"], tmp_path)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert "Exception ignored" not in done.stderr
    assert done.returncode in (0, 1)
