"""Which model to train: the ones recommended for a dataset (by its size and language), and the next step after a
run that stopped early. Every claim here rests on the figures quoted beside it."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from core.architectures import get_architecture
from core.architectures.tfidf import uses_cjk

# benchmarks/RESULTS.md, "Accuracy of every architecture (Balanced preset)", test accuracy on SMS spam (English
# messages, 3,614 training texts), TREC-6 (English questions, 3,766) and THUCNews (Chinese headlines, 7,000):
# - TF-IDF: 0.990, 0.864, 0.874 in 0-2 s. The most accurate of the models that train in under a minute on SMS spam
#   and THUCNews, and 0.001 behind the best of them on TREC-6 (sentence embeddings, 0.865).
# - Fine-tuned Transformer: 0.994 and 0.951 on the English samples (+0.004 and +0.086 over TF-IDF) in 193 s and
#   130 s on a 2-thread CPU, about 0.05 s per training text; 0.672 on Chinese (-0.202): its vocabulary is English.
# - Sentence embeddings: 0.984, 0.865, 0.616: never more than 0.001 above TF-IDF, so never recommended.
# The fine-tuned model is recommended only where it was measured to win, English-like text, and only where it
# finishes in minutes on a CPU: at 0.05 s per text, 5,000 training texts take about 4 minutes.
FINETUNE_MOST_TEXTS = 5_000
TFIDF_EVIDENCE = ("on the three samples we measured, no model that trains in under a minute beat it by more than 0.1 "
                  "point, and it trained in 5 s or less")
FINETUNE_EVIDENCE = ("the most accurate model on both English samples we measured (99.4% against TF-IDF's 99.0% on "
                     "SMS spam, 95.1% against 86.4% on questions), in 2 to 3 minutes on a CPU for about 3,700 texts; "
                     "on Chinese it fell 20 points below TF-IDF")

# Below this many training texts in a class, few-shot training is recommended. benchmarks/RESULTS.md, "Few-shot
# against sentence embeddings and TF-IDF": with 8 questions per class of TREC-6 it was right on 62.9% of the test
# questions against 52.8% for the same encoder left as it is and 44.0% for TF-IDF; SetFit's paper measured 82.9%
# against 74.3% on AG News. With 64 per class (one draw) it still led, 88.4% to 72.5%; 50 is the bound, past
# which the faster models have enough texts and the fine-tuned Transformer is recommended for accuracy.
FEW_SHOT_BELOW = 50
FEW_SHOT_EVIDENCE = ("it learns from pairs of your texts, thousands from a few dozen: with 8 questions per class it "
                     "answered 62.9% of our test questions right, against 52.8% for sentence embeddings and 44.0% "
                     "for TF-IDF")

@dataclass(frozen=True)
class Pick:
    mark: str  # a few words beside the model's name
    reason: str  # why, with the figures, shown with the model's description


def fewest_per_class(train_labels: Sequence[str | tuple[str, ...]]) -> int:
    """The number of training texts of the rarest class (of the rarest label, with several per text)."""
    counts = Counter(label for row in train_labels for label in (row if isinstance(row, tuple) else (row,)))
    return min(counts.values(), default=0)


def recommended(train_texts: Sequence[str], train_labels: Sequence[str | tuple[str, ...]] = ()) -> dict[str, Pick]:
    """The architectures recommended for a dataset with these training texts (and labels), by name, the first to
    try first."""
    picks = {"tfidf": Pick("Recommended first", f"{TFIDF_EVIDENCE[0].upper()}{TFIDF_EVIDENCE[1:]}.")}
    fewest = fewest_per_class(train_labels)
    # Its pretrained model is English, as the fine-tuned one's is.
    if train_labels and fewest < FEW_SHOT_BELOW and not uses_cjk(train_texts):
        picks["few_shot"] = Pick("Recommended for few labels", f"A class has only {fewest} training texts, under "
                                 f"{FEW_SHOT_BELOW}: {FEW_SHOT_EVIDENCE}.")
    if not uses_cjk(train_texts) and len(train_texts) <= FINETUNE_MOST_TEXTS:
        picks["finetune"] = Pick("Recommended for accuracy",
                                           f"Once TF-IDF has given a first result: {FINETUNE_EVIDENCE}.")
    return picks


def after_early_stop(arch: str, config: Mapping[str, Any], result: Mapping[str, Any],
                     val_losses: Sequence[float]) -> str | None:
    """What to try next, in plain words, after a run that stopped early (`val_losses`: its validation loss at each
    evaluation, in order) while it was getting worse, or sooner than the Balanced preset would have stopped it;
    None for any other run."""
    if not result.get("stop_reason") or len(val_losses) < 2:
        return None
    patience = config.get("early_stopping_patience")
    # The presets' patience does not depend on the number of texts.
    balanced = get_architecture(arch).config_cls.preset_values("balanced", 1).get("early_stopping_patience")
    impatient = patience is not None and balanced is not None and patience < balanced
    low, last = min(val_losses[:-1]), val_losses[-1]
    if last > low:
        what = (f"The model was getting worse on the validation texts set aside to check it (their loss went from "
                f"{low:.3f} at best to {last:.3f}): it had begun to learn its training texts by heart.")
    elif impatient:
        what = (f"It may have stopped too soon: the validation loss was still falling (to {last:.3f}), and this run "
                f"gave up after {patience} epoch{'' if patience == 1 else 's'} without a better score.")
    else:
        return None
    steps = [f"the Balanced preset (it waits {balanced} epochs for a better score before it stops)"] if impatient else []
    if arch != "tfidf":
        steps.append(f"TF-IDF + linear model ({TFIDF_EVIDENCE})")
    return what + (f" Next, try {', or '.join(steps)}." if steps else "")
