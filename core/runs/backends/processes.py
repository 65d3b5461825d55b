"""Processes by id: whether one still runs (and is the one that did, not a later one given its id), and signalling
one that may be gone already."""
from __future__ import annotations

import signal

import psutil

# How far two readings of one process's start time may differ. Each process computes it from the boot time, which
# the system gives in whole seconds and moves whenever the clock is set, so two processes can read one start a
# second or more apart; a pid given to another process within seconds of the first is practically unheard of.
SAME_START_SECONDS = 10.0


def process_started(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def pid_alive(pid: int | None, started: float | None = None) -> bool:
    """Whether process `pid` runs (a zombie has exited); with `started`, only if it is the process that
    started then, not a later one given the same pid."""
    if pid is None or pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(proc.create_time() - started) < SAME_START_SECONDS
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def signal_process(pid: int, sig: signal.Signals) -> None:
    """Send `sig` to the process and every process it started: torchrun's workers run in sessions of their own, and
    would outlive a torchrun killed alone, holding on to their GPUs."""
    try:
        parent = psutil.Process(pid)
        family = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for process in family:
        try:
            process.send_signal(sig)
        except psutil.NoSuchProcess:
            pass
