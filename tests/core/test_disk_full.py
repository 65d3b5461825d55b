"""A workspace on a disk that fills up: every command says so in one plain sentence naming the folder and the space
to free, `runs` still lists the runs, nothing half-written stays behind, and the store is intact once there is room.

The disk is a real one: a small tmpfs mounted for the test (so these tests need root, as CI has), filled to its
last byte with one file."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from core.cli.main import main
from core.data.splitting import split
from core.runs.worker import execute_run
from core.store.datasets import save_dataset
from core.store.store import Store
from core.training.callbacks import Callback
from core.training.state import TrainState
from core.workspace import MODEL_DIR, run_dir


@pytest.fixture
def disk(tmp_path, monkeypatch) -> Path:
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("mounting a small disk needs root")
    monkeypatch.setenv("CLASSIFIER_STUDIO_WORKSPACE", str(mount / "workspace"))
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Take all but `leave` bytes of the disk's free space; remove the returned file to give it back."""
    filler = disk / f"filler-{len(list(disk.glob('filler-*')))}"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(filler, "wb") as out:
        os.posix_fallocate(out.fileno(), 0, max(free - leave, 1))
    return filler


def leftovers(root: Path) -> list[str]:
    """Files a write that failed half-way would leave: temporary names beside their target."""
    return sorted(p.name for p in root.rglob("*") if ".tmp" in p.name or ".partial" in p.name or p.name.startswith("."))


def test_on_a_full_disk_the_command_line_says_so_and_runs_still_lists(disk, tiny_csv, capsys):
    train = ["train", "--data", str(tiny_csv), "--arch", "tfidf"]
    assert main(train) == 0
    filler = fill(disk)
    capsys.readouterr()
    assert main(["runs"]) == 0
    assert "succeeded" in capsys.readouterr().out
    for command in (train, ["datasets"], ["export", "--run", "1", "--output", str(disk / "out.zip")]):
        if main(command):
            said = capsys.readouterr().err
            assert f"The disk holding {disk / 'workspace'} is full" in said, command
            assert "Free at least 200 MB there" in said
    assert leftovers(disk / "workspace") == []
    filler.unlink()
    assert main(train) == 0
    assert [r.status for r in Store().list_runs()] == ["succeeded", "succeeded"]


class FillTheDisk(Callback):
    """Takes the disk's last byte once training ends, as a full disk meets a run at the moment it saves its model."""

    def __init__(self, disk: Path):
        self.disk = disk
        self.filler: Path | None = None

    def on_train_end(self, state: TrainState) -> None:
        self.filler = fill(self.disk)


def test_a_run_that_meets_a_full_disk_fails_saying_so_and_leaves_nothing_half_written(disk, tiny_df, capsys):
    """It once stayed "running", with a checkpoint.partial beside it, and was later blamed on being killed."""
    store = Store()
    dataset = save_dataset(store, split(tiny_df, seed=0), "tiny")
    filling = FillTheDisk(disk)
    run = execute_run(store, store.create_run(dataset.id, "tfidf", {}), [filling])
    assert run.status == "failed"
    assert run.error.startswith(f"The disk holding {disk / 'workspace'} is full")
    assert not (run_dir(run.id, store.root) / MODEL_DIR).exists() and leftovers(disk / "workspace") == []
    assert main(["runs"]) == 0
    assert "The disk holding" in capsys.readouterr().out
    filling.filler.unlink()
    assert execute_run(store, store.create_run(dataset.id, "tfidf", {})).status == "succeeded"
