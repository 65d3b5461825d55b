"""Few-shot (the SetFit method): the sentence encoder is first tuned on pairs of training texts, to give texts of
the same class close vectors and texts of different classes distant ones; logistic regression then learns the
labels from the tuned vectors. Pairs multiply a few labelled texts per class into thousands of examples."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from torch import nn

from core.architectures.base import Architecture, option
from core.architectures.neural import collate, epoch_generator, seed_everything
from core.architectures.pretrained import load_encoder, load_tokenizer, mean_pool
from core.architectures.sentence_embeddings import EmbeddingModel, SentenceEmbeddingsConfig
from core.data.text_set import TextSet
from core.training.callbacks import Callback
from core.training.checkpoints import Checkpoints
from core.training.device import pick_device
from core.training.loop import TrainOptions, make_scheduler, train_loop
from core.training.state import Batch

# SetFit's defaults: 20 rounds of pairs, a learning rate of 2e-5 for the encoder, batches of 16 pairs, 1 epoch.
ROUNDS, LEARNING_RATE, PAIR_BATCH = 20, 2e-5, 16
# Pairs per epoch at most: on a 2-thread CPU all-MiniLM-L6-v2 takes some 40 pairs a second, so 4,000 pairs take
# under two minutes; more labelled texts than that needs are better served by the other models.
MAX_PAIRS = 4000


def label_sets(labels: Sequence[str | tuple[str, ...]]) -> list[frozenset[str]]:
    return [frozenset(label) if isinstance(label, tuple) else frozenset([label]) for label in labels]


def draw_pairs(labels: Sequence[str | tuple[str, ...]], rounds: int, limit: int,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of text positions (n x 2) and how alike each pair's labels are (1 for the same, 0 for none shared;
    shared labels over all their labels, with several per text). Each round pairs every text with one text of the
    same labels (itself, when it has them alone) and one text of other labels, as SetFit does; a random `limit` of
    them are kept."""
    sets = label_sets(labels)
    groups: dict[frozenset[str], list[int]] = {}
    for i, key in enumerate(sets):
        groups.setdefault(key, []).append(i)
    if len(groups) < 2:
        raise ValueError("Few-shot training needs texts of at least two classes, to learn what tells them apart.")
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(rounds):
        for i, key in enumerate(sets):
            same = groups[key]
            pairs.append((i, same[rng.integers(len(same))]))
            other = int(rng.integers(len(sets)))
            while sets[other] == key:  # at least two groups, so this ends; fast unless one class is nearly all
                other = int(rng.integers(len(sets)))
            pairs.append((i, other))
    chosen = np.array(pairs, dtype=np.int64)
    if len(chosen) > limit:
        chosen = chosen[np.sort(rng.choice(len(chosen), size=limit, replace=False))]
    alike = np.array([len(sets[a] & sets[b]) / max(len(sets[a] | sets[b]), 1) if sets[a] | sets[b] else 1.0
                      for a, b in chosen], dtype=np.float32)
    return chosen, alike


class PairSimilarity(nn.Module):
    """The cosine similarity of two texts' mean-pooled vectors, which the contrastive tuning learns from."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def vectors(self, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return mean_pool(self.encoder(input_ids=tokens, attention_mask=mask.long()).last_hidden_state.float(), mask)

    def forward(self, tokens_a: torch.Tensor, mask_a: torch.Tensor, tokens_b: torch.Tensor,
                mask_b: torch.Tensor) -> torch.Tensor:
        return (self.vectors(tokens_a, mask_a) * self.vectors(tokens_b, mask_b)).sum(dim=1)


def cosine_similarity_loss(similarity: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """sentence-transformers' CosineSimilarityLoss, which SetFit tunes with: squared error of the similarity."""
    return nn.functional.mse_loss(similarity, target)


@dataclass
class FewShotConfig(SentenceEmbeddingsConfig):
    batch_size: int = option(PAIR_BATCH, "Pairs of texts per training step (and texts turned into vectors at once); "
                             "lower it if the server runs out of memory.", label="Batch size", min=1, max=1024)
    epochs: int = option(1, "Passes over the pairs. One is SetFit's default and usually enough: the pairs already "
                         "show each text many times.", label="Epochs", min=1, max=20)
    pair_rounds: int = option(ROUNDS, "Each round pairs every training text with one of its class and one of "
                              "another; more rounds, more pairs to learn from (SetFit's default is 20).",
                              label="Rounds of pairs", min=1, max=100)
    max_pairs: int = option(MAX_PAIRS, "Pairs per epoch at most, so many labelled texts do not take hours; a "
                            "random share of the rounds' pairs is kept.", label="Most pairs", min=16, max=1_000_000)
    learning_rate: float = option(LEARNING_RATE, "How far each step moves the pretrained model: small, so it keeps "
                                  "what it knows.", label="Learning rate", min=1e-7, max=1.0)


class FewShotClassifier(EmbeddingModel):
    config_cls = FewShotConfig
    arch_name = "few_shot"

    def fit(self, train: TextSet, val: TextSet | None = None, callbacks: Sequence[Callback] = (),
            checkpoints: Path | None = None) -> "FewShotClassifier":
        cfg = self.config
        seed_everything(cfg.seed)
        device = pick_device(cfg.device)
        targets = self._encode_targets(train)
        self.tokenizer_ = load_tokenizer(cfg.model)
        self.encoder_ = load_encoder(cfg.model).to(device)
        pairs, alike = draw_pairs(train.labels, cfg.pair_rounds, cfg.max_pairs, cfg.seed)
        limit = min(cfg.max_length, self.tokenizer_.model_max_length)
        ids = self.tokenizer_(list(train.texts), truncation=True, max_length=limit)["input_ids"]
        pad = self.tokenizer_.pad_token_id or 0

        def batches(epoch: int) -> Iterator[Batch]:
            order = torch.randperm(len(pairs), generator=epoch_generator(cfg.seed, epoch)).tolist()
            for start in range(0, len(order), cfg.batch_size):
                rows = order[start : start + cfg.batch_size]
                (a, _), (b, _) = (collate([ids[i] for i in pairs[rows, side]], pad_id=pad) for side in (0, 1))
                yield ({"tokens_a": a["tokens"], "mask_a": a["mask"], "tokens_b": b["tokens"], "mask_b": b["mask"]},
                       torch.from_numpy(alike[rows]))

        def evaluate() -> dict[str, float]:
            # The validation texts are scored as the finished model would score them: a head fit on the vectors
            # the encoder now gives.
            if val is None or not val.texts:
                return {}
            self._fit_head(self.embed(train.texts), targets)
            return self._metrics(self._truth(val), self.predict_proba(val.texts))

        module = PairSimilarity(self.encoder_)
        optimizer = torch.optim.AdamW(module.parameters(), lr=cfg.learning_rate)
        steps_per_epoch = -(-len(pairs) // cfg.batch_size)
        total = steps_per_epoch * cfg.epochs
        # SetFit warms the learning rate up over the first tenth of the steps, then lowers it linearly to 0.
        scheduler = make_scheduler(optimizer, "linear", total, total // 10)
        options = TrainOptions(epochs=cfg.epochs, steps_per_epoch=steps_per_epoch, device=device,
                               loss_fn=cosine_similarity_loss)
        fingerprint = {"arch": self.arch_name, "config": cfg.to_dict(), "classes": self.classes_.tolist(),
                       "n_train": len(train.texts), **({"multilabel": True} if self.multilabel_ else {})}
        kept = Checkpoints(checkpoints, fingerprint=fingerprint) if checkpoints is not None else None
        self.state_ = train_loop(module, optimizer, batches, evaluate, options, callbacks=callbacks,
                                 scheduler=scheduler, checkpoints=kept)
        self.encoder_.eval()
        # Again after the loop: a run stopped mid-epoch was not evaluated with its last weights.
        self._fit_head(self.embed(train.texts), targets)
        self._tune_thresholds(val)
        return self


ARCHITECTURE = Architecture(
    name="few_shot",
    title="Few-shot (SetFit)",
    # Figures: benchmarks/RESULTS.md, "Few-shot against sentence embeddings and TF-IDF".
    description="For a few labelled texts per class (8 to 50): a pretrained language model is first tuned on pairs "
                "of your texts, to put texts of the same class close together and texts of different classes "
                "apart, then a linear model learns your labels from its vectors (the SetFit method). With 8 questions "
                "per class it was 10 points more accurate than sentence embeddings on our question-type sample "
                "(62.9% against 52.8%), with 5 rounds of pairs in two minutes on a busy CPU; the default 20 rounds "
                "take about four times as long.",
    model_cls=FewShotClassifier,
    summary="Tunes a pretrained model on pairs of your texts: for few labels per class.",
)
