"""The sidebar's system panel: the training device, how full it is, and how many runs train or wait."""
from __future__ import annotations

import streamlit as st

from core.runs.system import Gpu, SystemStatus, gib, system_status
from core.store.store import Store
from core.wording import count
from dashboard.components import escape_md


def _share(used: int, total: int) -> float:
    return min(1.0, used / total) if total > 0 else 0.0


def _gpu(gpu: Gpu) -> None:
    busy = f" · {gpu.utilization}% busy" if gpu.utilization is not None else ""
    st.progress(_share(gpu.memory_used, gpu.memory_total),
                text=f"{escape_md(gpu.name)} · {gib(gpu.memory_used)} of {gib(gpu.memory_total)} GiB used{busy}")


def _device(status: SystemStatus) -> None:
    cpu = status.cpu
    if status.gpus:
        st.caption(f"Training device: {'GPU' if len(status.gpus) == 1 else count(len(status.gpus), 'GPU')}")
        for gpu in status.gpus:
            _gpu(gpu)
        return
    if status.device == "mps":
        st.caption(f"Training device: Apple GPU (MPS) · CPU {cpu.percent:.0f}% busy")
        shared = " (shared with the GPU)"
    else:
        st.caption(f"Training device: CPU (no GPU found) · {count(cpu.cores, 'core')} · {cpu.percent:.0f}% busy")
        shared = ""
    st.progress(_share(cpu.memory_used, cpu.memory_total),
                text=f"RAM {gib(cpu.memory_used)} of {gib(cpu.memory_total)} GiB used{shared}")


def _cluster(status: SystemStatus) -> None:
    if status.cluster_error is not None:
        st.warning("The training cluster cannot be reached. Runs wait, and start once it is back.")
        with st.expander("Details for the administrator"):
            st.caption(escape_md(status.cluster_error))
        st.caption(f"Training: {status.running} running · {status.queued} waiting")
        return
    c = status.cluster
    gpus = f"{c.gpus_used:g} of {count(int(c.gpus), 'GPU')} in use" if c.gpus else "no GPU"
    st.caption(f"Training on a Ray cluster: {count(c.nodes, 'node')} · {gpus} · {count(int(c.cpus), 'CPU')}")
    st.caption(f"Training: {status.running} running · {status.queued} waiting, {status.queued_in_cluster} of them in the "
               "cluster's queue for room")


# Every few seconds, and alone: the numbers move while runs train, and the page around them need not rerun.
@st.fragment(run_every=5)
def system_panel(store: Store) -> None:
    status = system_status(store)
    if status.cluster is not None or status.cluster_error is not None:
        _cluster(status)
        return
    _device(status)
    if status.processes_per_run > 1:
        across = count(status.processes_per_run, "GPU") if status.gpus else count(status.processes_per_run, "process",
                                                                                  "processes")
        st.caption(f"Each run trains across {across}.")
    st.caption(f"Training: {status.running} running · {status.queued} waiting ({count(status.slots, 'slot')})")
