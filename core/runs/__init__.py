"""Runs from the Start button to their end: the queue, the worker process that trains one, its callbacks and
log, why one failed, the worker kept ready, and what the server trains on.

- `jobs`: start, queue, stop, resume and reconcile runs
- `run_queue`: where each waiting run stands, and why
- `worker`, `worker_callbacks`: train one run and report it to the store
- `run_log`: the readable log of a run
- `failures`: why a run failed, in words a person can act on
- `standby`, `heartbeat`: the worker kept ready; whether a worker still lives
- `system`: GPUs, CPU and how busy they are
- `backends/`: where workers run: local processes or a Ray cluster
"""
