"""Who may do what on a shared server: ownership of datasets and runs, the shared password, and the limits
an administrator sets. Policy only: the store and the pages apply it.

- `ownership`: who sees and changes which dataset or run
- `passwords`: the shared password, kept hashed
- `limits`: upload size, rows, runs per person, epochs and hours per run
"""
