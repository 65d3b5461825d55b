"""The hooks every model reports its training through, and the list that calls them and keeps their state.

A callback overrides the hooks it needs; the training loop calls each hook of every callback in turn through
`CallbackList.fire`. Callbacks stop training by calling `state.stop`.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Literal, Sequence

from core.training.state import TrainState

Event = Literal["on_train_begin", "on_step_end", "on_evaluate", "on_epoch_end", "on_train_end", "on_progress"]


class Callback:
    """No-op hooks; override the ones you need."""

    def on_train_begin(self, state: TrainState) -> None: ...

    def on_step_end(self, state: TrainState) -> None: ...

    def on_evaluate(self, state: TrainState, metrics: dict[str, float]) -> None: ...

    def on_epoch_end(self, state: TrainState) -> None: ...

    def on_train_end(self, state: TrainState) -> None: ...

    def on_progress(self, state: TrainState) -> None:
        """`state.task_done` moved on within long work (see `TrainState.task`)."""

    @property
    def state_key(self) -> str:
        """The name a checkpoint keeps this callback's state under (see `CallbackList.keyed`)."""
        return type(self).__name__

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint must keep of this callback for a resumed run to behave as an unbroken one."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class CallbackList:
    """Callbacks in the order their hooks are called."""

    def __init__(self, callbacks: Sequence[Callback] = ()):
        self.callbacks = list(callbacks)

    def fire(self, event: Event, state: TrainState, *args: Any) -> None:
        """Call the hook named `event` of every callback with `state` (and, for `on_evaluate`, the metrics)."""
        for cb in self.callbacks:
            getattr(cb, event)(state, *args)

    def keyed(self) -> dict[str, Callback]:
        """Every callback under a key of its own: its `state_key`, with ' #2', ' #3' added for the second and
        third callback of the same key. The first keeps the bare key, so a checkpoint written when callbacks were
        kept by class name alone still resumes."""
        seen: Counter[str] = Counter()
        keyed = {}
        for cb in self.callbacks:
            seen[cb.state_key] += 1
            keyed[cb.state_key if seen[cb.state_key] == 1 else f"{cb.state_key} #{seen[cb.state_key]}"] = cb
        return keyed

    def state_dict(self) -> dict[str, dict[str, Any]]:
        """The state of the callbacks that keep one, by key; callbacks that keep nothing (progress printers,
        loggers) may then differ on resume."""
        return {key: kept for key, cb in self.keyed().items() if (kept := cb.state_dict())}

    def load_state_dict(self, saved: dict[str, dict[str, Any]]) -> None:
        for key, cb in self.keyed().items():
            if key in saved:
                cb.load_state_dict(saved[key])


Report = Callable[[int, int], None]


def reporter(state: TrainState, callbacks: CallbackList, what: str) -> Report:
    """A function that long work calls with (texts done, texts in all): it keeps `state`'s task up to date and tells
    the callbacks."""
    state.start_task(what)

    def report(done: int, total: int) -> None:
        state.task_done, state.task_total = done, total
        callbacks.fire("on_progress", state)

    return report
