"""The core package stands alone: the command line and the workers never load the dashboard's framework."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_core_does_not_import_streamlit():
    code = ("import sys\n"
            "import core, core.cli.main, core.runs.jobs, core.runs.worker, core.architectures, core.inference.attributions, core.inference.prediction\n"
            "import core.runs.system\n"
            "assert 'streamlit' not in sys.modules\n"
            "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'dashboard', 'pages'))\n"
            "assert not leaked, leaked\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
