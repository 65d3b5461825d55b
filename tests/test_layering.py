"""The layers of the code, as docs/ARCHITECTURE.md draws them: the core package stands alone, and inside it each
subpackage imports only those below it. Every import counts: at the top of a module, inside a function, and under
TYPE_CHECKING."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lowest first. A subpackage may import its own modules and those of any layer before its own; the modules at the
# top of core (errors, settings, wording, workspace, disk_space) are the floor everything stands on.
LAYERS = [
    {"core"},
    {"data", "access"},
    {"store"},
    {"training"},
    {"formats"},
    {"architectures"},
    {"evaluation", "labelling"},
    {"models"},
    {"inference"},
    {"runs"},
    {"cli"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module `path` imports, wherever in the file the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}  # `from core.x import module`
    return found


def layer(module: str) -> str | None:
    """The layer a core module belongs to: its subpackage, or "core" for a module at the top of core."""
    parts = module.split(".")
    if parts[0] != "core":
        return None
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANK) else "core"


def core_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((ROOT / "core").rglob("*.py"))}


MODULES = core_modules()
# `core` itself offers the few names a Python user needs, each loaded on first use from the layer that has it, and
# `python -m core` is the command line: both stand above every layer.
ENTRY_POINTS = {"core", "core.__main__"}


def test_every_subpackage_has_a_layer():
    subpackages = {path.parent.name for path in (ROOT / "core").glob("*/__init__.py")}
    assert subpackages == set(RANK) - {"core"}


@pytest.mark.parametrize("module", sorted(set(MODULES) - ENTRY_POINTS))
def test_a_module_imports_only_its_own_layer_and_those_below(module):
    mine = layer(module)
    upward = sorted(target for target in imported(MODULES[module])
                    if target in MODULES and layer(target) != mine and RANK[layer(target)] >= RANK[mine])
    assert not upward, f"{module} ({mine}) imports {upward}, which are not below it: see docs/ARCHITECTURE.md"


def test_no_module_imports_itself_round_a_circle():
    graph = {module: {t for t in imported(path) if t in MODULES and t != module}
             for module, path in MODULES.items() if module not in ENTRY_POINTS}
    # A package's __init__ is run by importing any module in it, so a module importing its own package's
    # __init__ is no circle unless that __init__ imports it back; the graph holds both edges when it does.
    done, path, circles = set(), [], []

    def visit(module: str) -> None:
        if module in path:
            circles.append(path[path.index(module):] + [module])
            return
        if module in done:
            return
        path.append(module)
        for target in sorted(graph.get(module, ())):
            visit(target)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_core_does_not_import_streamlit():
    code = ("import sys\n"
            "import core, core.cli.main, core.runs.jobs, core.runs.worker, core.architectures\n"
            "import core.inference.attributions, core.inference.prediction, core.runs.system\n"
            "assert 'streamlit' not in sys.modules\n"
            "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'dashboard', 'pages'))\n"
            "assert not leaked, leaked\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_the_dashboard_never_imports_a_page():
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        pages = sorted(t for t in imported(path) if t.split(".")[0] == "pages")
        assert not pages, f"{path.relative_to(ROOT)} imports {pages}"
