from core.runs.backends.ray_env import unpack_env

# First: a worker a Ray cluster started gets the app's settings packed in one variable, and libraries read some of
# them (HF_HOME, say) as they are imported.
unpack_env()

from core.cli.main import main  # noqa: E402

raise SystemExit(main())
