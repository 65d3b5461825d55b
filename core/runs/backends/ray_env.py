"""What a run's Ray job carries in its environment: this server's settings, and which job it is. `python -m core`
reads it before anything else, so this module imports nothing but the settings."""
from __future__ import annotations

import base64
import json
import os

from core.settings import PREFIX

# Ray starts a job with the environment `ray start` had on its node, not the dashboard's: these travel with it,
# packed in one variable, since Ray expands `$NAME` in the values it is given (a database password may hold one).
PASSED_ENV = (PREFIX, "HF_", "TRANSFORMERS_")
# This variable and the next are no settings (core/settings.py) an administrator sets, but what the dispatcher tells
# the worker it hands to the cluster: they are read here, beside the code that writes them.
PACKED_ENV = "CLASSIFIER_STUDIO_JOB_ENV"
# Which job a worker was sent as: a job that waited in the cluster's queue while its run was stopped and resumed
# (as another job) must not train it too.
JOB_ENV = "CLASSIFIER_STUDIO_JOB"


def packed_env(env: dict[str, str], job: str) -> dict[str, str]:
    """The environment to start job `job` with: this process's settings and `env`, packed in one variable."""
    passed = {**{k: v for k, v in os.environ.items() if k.startswith(PASSED_ENV)}, **env, JOB_ENV: job}
    return {PACKED_ENV: base64.b64encode(json.dumps(passed).encode()).decode()}


def sent_for(job_of_run: str | None) -> bool:
    """Whether this worker was started for the run as it stands: always, but for a job of the cluster's that the
    run has since been taken from."""
    job = os.environ.get(JOB_ENV)
    return job is None or job_of_run == job


def unpack_env() -> None:
    """In a worker the cluster started, take on the settings the dashboard sent with the run."""
    packed = os.environ.pop(PACKED_ENV, None)
    if packed:
        os.environ.update(json.loads(base64.b64decode(packed)))
