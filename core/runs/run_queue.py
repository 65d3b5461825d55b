"""Where each run stands in the line: the runs waiting for a worker, which place one holds, and why one is held
back."""
from __future__ import annotations

from core.access.limits import Limits
from core.runs.backends.choice import backend_for
from core.store.records import ACTIVE
from core.store.store import Run, Store


def waiting(store: Store) -> list[Run]:
    """Queued runs not yet handed to a worker or a cluster, first in line first; everyone's, whoever asks."""
    queued = store.as_viewer(None).list_runs(status=("queued",))
    return sorted((r for r in queued if not r.launched), key=lambda r: r.id)


def held_back(store: Store, run: Run) -> str | None:
    """Why a queued run waits although it is next: its owner already trains as many runs as one person may. Runs
    made without sign-in (from the command line, or with it off) belong to no one and are never held back."""
    per_user = Limits.from_env().runs_per_user
    if not per_user or run.owner is None or run.status != "queued" or run.launched:
        return None
    training = sum(r.owner == run.owner and backend_for(r).alive(r, store.root)
                   for r in store.as_viewer(None).list_runs(status=ACTIVE))
    if training < per_user:
        return None
    return (f"It waits until one of its owner's {training} runs in training ends: this server trains at most "
            f"{per_user} at once for one person.")


def place_in_queue(store: Store, run_id: int) -> int | None:
    """1 for the next run to start, 2 for the one after; None once the run has left the queue."""
    ids = [r.id for r in waiting(store)]
    return ids.index(run_id) + 1 if run_id in ids else None

