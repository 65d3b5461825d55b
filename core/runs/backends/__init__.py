"""Where a worker runs: as a process on this machine, or as a job on a Ray cluster.

- `base`: what the job runner asks of a backend (launch, alive, stop, logs), and what backends share
- `choice`: which backend new runs go to, and which one a run went to
- `local`: workers as processes here; `processes`: those processes by id
- `ray_cluster`: workers as jobs on a Ray cluster; `ray_api`: the client of its job API; `ray_env`: the settings a
  job carries to its worker
"""
