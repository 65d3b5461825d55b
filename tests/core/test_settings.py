"""The settings: each environment variable parsed once per environment, a malformed one named in the error, and the
README's table of them matching core/settings.py row for row."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.settings import PREFIX, SETTINGS, Settings, env_name, settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_unset_variables_take_their_defaults_and_blank_ones_count_as_unset():
    assert settings({}) == Settings()
    assert settings({"CLASSIFIER_STUDIO_SLOTS": "  ", "CLASSIFIER_STUDIO_RAY_ADDRESS": ""}) == Settings()
    assert Settings().workspace == "workspace" and Settings().slots is None and Settings().warm_worker


def test_values_are_parsed_to_their_types():
    parsed = settings({"CLASSIFIER_STUDIO_SLOTS": " 3 ", "CLASSIFIER_STUDIO_MAX_HOURS_PER_RUN": "0.5",
                       "CLASSIFIER_STUDIO_MAX_BUNDLE_MB": "0.01", "CLASSIFIER_STUDIO_PROCESSES_PER_RUN": "ALL",
                       "CLASSIFIER_STUDIO_WARM_WORKER": "off", "CLASSIFIER_STUDIO_RAY_GPUS_PER_RUN": "0",
                       "CLASSIFIER_STUDIO_STORAGE_URL": " s3://bucket/studio/ ",
                       "CLASSIFIER_STUDIO_RAY_ADDRESS": " http://10.0.0.5:8265 "})
    assert (parsed.slots, parsed.max_hours_per_run, parsed.max_bundle_mb) == (3, 0.5, 0.01)
    assert (parsed.processes_per_run, parsed.warm_worker, parsed.ray_gpus_per_run) == ("all", False, 0)
    assert (parsed.storage_url, parsed.ray_address) == ("s3://bucket/studio", "http://10.0.0.5:8265")
    assert settings({"CLASSIFIER_STUDIO_PROCESSES_PER_RUN": "2"}).processes_per_run == 2


def test_an_empty_list_of_model_folders_is_none_rather_than_unset():
    assert settings({}).model_dirs is None  # unset: any folder (for administrators)
    assert settings({"CLASSIFIER_STUDIO_MODEL_DIRS": ""}).model_dirs == ()
    assert settings({"CLASSIFIER_STUDIO_MODEL_DIRS": "/a::/b"}).model_dirs == ("/a", "/b")


@pytest.mark.parametrize("variable, raw, message", [
    ("SLOTS", "two", "CLASSIFIER_STUDIO_SLOTS must be a whole number, 0 or more; it is 'two'"),
    ("MAX_ROWS", "-1", "CLASSIFIER_STUDIO_MAX_ROWS must be a whole number, 0 or more; it is '-1'"),
    ("MAX_HOURS_PER_RUN", "nan", "CLASSIFIER_STUDIO_MAX_HOURS_PER_RUN must be a number of hours"),
    ("MAX_BUNDLE_MB", "0", "CLASSIFIER_STUDIO_MAX_BUNDLE_MB must be a number of MB, more than 0; it is '0'"),
    ("WARM_WORKER", "maybe", "CLASSIFIER_STUDIO_WARM_WORKER must be 1 (on) or 0 (off); it is 'maybe'"),
    ("PROCESSES_PER_RUN", "0", "CLASSIFIER_STUDIO_PROCESSES_PER_RUN is '0': set it to 1"),
    ("RAY_GPUS_PER_RUN", "1.5", "CLASSIFIER_STUDIO_RAY_GPUS_PER_RUN is '1.5': set it to a whole number of GPUs"),
])
def test_a_malformed_value_names_its_variable_and_what_it_must_be(variable, raw, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        settings({PREFIX + variable: raw})


def test_the_environment_is_parsed_once_and_changes_are_seen(monkeypatch):
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "2")
    first = settings()
    assert first.slots == 2 and settings() is first  # the same environment: not parsed again
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "5")
    assert settings().slots == 5
    monkeypatch.setenv("CLASSIFIER_STUDIO_SLOTS", "lots")
    with pytest.raises(ValueError, match="CLASSIFIER_STUDIO_SLOTS"):
        settings()


def test_every_setting_has_a_variable_of_its_own_and_one_line_of_help():
    assert env_name("workspace") == "CLASSIFIER_STUDIO_WORKSPACE"
    names = [spec.metadata["env"] for spec in SETTINGS.values()]
    assert len(set(names)) == len(names) and all(name.startswith(PREFIX) for name in names)
    for spec in SETTINGS.values():
        assert spec.metadata["help"] and "\n" not in spec.metadata["help"] and "|" not in spec.metadata["help"]


def shown(default: object) -> str:
    """A default as README.md's table shows it."""
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return str(int(default))
    if isinstance(default, int):
        return f"{default:,}"
    if isinstance(default, float):
        return f"{default:,g}"
    return f"`{default}`"


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_the_readme_lists_every_setting_with_its_default_and_help():
    rows = [line for line in readme_section("Settings").splitlines() if line.startswith("| `")]
    expected = [f"| `{spec.metadata['env']}` | {shown(spec.default)} | {spec.metadata['help']} |"
                for spec in SETTINGS.values()]
    assert rows == expected


def test_the_readme_names_no_variable_the_settings_lack():
    named = set(re.findall(rf"{PREFIX}[A-Z][A-Z_]*(?![A-Z_*])", README.read_text(encoding="utf-8")))
    assert named <= {spec.metadata["env"] for spec in SETTINGS.values()}


def test_no_module_but_the_settings_names_a_variable_of_its_own():
    """Everything else asks core/settings.py, so a variable is parsed, checked and documented in one place. The Ray
    backend names the two variables it hands to the workers it starts, which no administrator sets."""
    root = Path(__file__).resolve().parents[2]
    allowed = {"core/settings.py": set(), "core/runs/backends/ray_env.py": {PREFIX + "JOB", PREFIX + "JOB_ENV"}}
    for folder in ("core", "dashboard", "pages"):
        for path in (root / folder).rglob("*.py"):
            name = path.relative_to(root).as_posix()
            named = {node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                     if isinstance(node, ast.Constant) and isinstance(node.value, str)
                     and re.fullmatch(rf"{PREFIX}[A-Z_]+", node.value)}
            assert named <= allowed.get(name, set()), name
