"""Where a worker runs: as a process on this machine, or as a job on a Ray cluster.

- `processes`: local processes by id
- `ray_cluster`: runs as Ray jobs
- `ray_api`: the client of the job API of a Ray cluster
"""
