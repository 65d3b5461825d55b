"""What the workspace keeps: the database of datasets and runs, the files they point at, and their copies in
shared storage for workers on other machines.

- `store`: the `Store`, the one way to read and write datasets and runs
- `records`: the frozen `Run` (with its `Progress`) and `DatasetRecord` the store hands out
- `database`, `schema`: the SQLite or PostgreSQL database behind it and its tables
- `datasets`: the prepare → split → save chain, and prepared datasets as Parquet files
- `uploads`: raw uploads, kept so a refreshed tab reopens them
- `shared_storage`: datasets and run folders in an object store or a shared filesystem
"""
