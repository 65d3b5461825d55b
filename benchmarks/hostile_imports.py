"""Hostile model files imported as the Predict page imports them: is each refused, with what, and how much memory
the importing process (the Streamlit server, on the page) reached while it refused it.

    python -m benchmarks.hostile_imports

Each import runs in a fresh process, so its peak resident memory is that import's alone, beside the peak of the same
process importing a good model of the same family.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from benchmarks.results import publish, table
from core.architectures import get_architecture
from core.data.text_set import TextSet

WORDS = {"sport": "goal match team score league", "food": "pasta cheese dinner bread soup",
         "tech": "code chip computer data phone"}
# The importing process: import the ZIP given as argv[1] into a scratch workspace, print the outcome and peak memory.
IMPORTER = """
import sys, tempfile
from pathlib import Path
from core.models.imported import import_model
from core.errors import BundleError
data = Path(sys.argv[1]).read_bytes()
try:
    import_model(data, "upload.zip", Path(tempfile.mkdtemp()))
    outcome = "imported"
except BundleError as exc:
    outcome = "refused: " + str(exc)
print(outcome)
# VmHWM, this process's own peak: ru_maxrss would carry the peak of the process that started it.
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) // 1024)
"""


def tiny_model(name: str, folder: Path, **settings) -> Path:
    texts = [" ".join(words.split()[i:] + words.split()[:i]) for words in WORDS.values() for i in range(5)] * 4
    labels = [label for label in WORDS for _ in range(5)] * 4
    arch = get_architecture(name)
    config = arch.config_cls.from_dict({"epochs": 1, "device": "cpu", **settings} if name != "tfidf" else {})
    arch.model_cls(config).fit(TextSet(texts, labels)).save(folder)
    return folder


def zipped(folder: Path, change=None, extra: dict[str, bytes] | None = None, signed: bool = False) -> bytes:
    """The model's ZIP; `change` edits its bundle.json, dropping the checksums as an attacker would unless `signed`
    (a person editing it by hand)."""
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    if change:
        bundle = json.loads(files["bundle.json"])
        if not signed:
            bundle.pop("checksums")
        change(bundle)
        files["bundle.json"] = json.dumps(bundle).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**files, **(extra or {})}.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def cases(root: Path) -> dict[str, bytes]:
    fasttext = tiny_model("fasttext", root / "fasttext", buckets=1000, embedding_dim=16)
    textcnn = tiny_model("textcnn", root / "textcnn", embedding_dim=16, vocab_size=500)
    tfidf = tiny_model("tfidf", root / "tfidf")
    largest = {"buckets": 2_000_000, "embedding_dim": 1024}
    return {
        "fastText, good": zipped(fasttext),
        "fastText, 2,000,000 slots x 1,024 (8 GB)": zipped(fasttext, lambda b: b["config"].update(largest)),
        "TextCNN, good": zipped(textcnn),
        "TextCNN, largest settings": zipped(textcnn, lambda b: b["config"].update(
            embedding_dim=1024, num_filters=1024, max_length=4096)),
        "TF-IDF, classes reversed": zipped(tfidf, lambda b: b["classes"].reverse()),
        "TF-IDF, classes reversed, checksums kept": zipped(tfidf, lambda b: b["classes"].reverse(), signed=True),
        "TF-IDF, 1.5 GB of padding": zipped(tfidf, extra={"notes.txt": b"\0" * 1_500_000_000}),
    }


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name, data in cases(root).items():
            path = root / "upload.zip"
            path.write_bytes(data)
            done = subprocess.run([sys.executable, "-c", IMPORTER, str(path)], capture_output=True, text=True,
                                  check=True)
            outcome, peak = done.stdout.strip().rsplit("\n", 1)
            rows.append([name, f"{len(data) / 1024:,.0f} KB", outcome[:140], f"{int(peak):,} MB"])
    publish("hostile_imports", "Hostile model files imported as the Predict page imports them",
            table(["file", "size", "outcome", "peak memory of the importing process"], rows))


if __name__ == "__main__":
    main()
