"""Which model to take on one dataset, in plain words: the cheapest of the runs the top scorer does not beat beyond
chance, weighed on time per text, training time and size.

Pure logic over numbers the runs already hold; core/evaluation/comparison.py gathers them from the store.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from core.evaluation.intervals import Comparison
from core.wording import duration

COSTS = ("latency_ms", "train_seconds", "model_bytes")
# Two values of one cost closer than this ratio count as the same: a time per text measured on a busy server moves
# by that much from one measurement to the next. A run is clearly cheaper than another when its costs multiplied
# together are lower by more than that for each cost; then at least one of its costs is lower by more than SAME_COST,
# so the sentence that explains the pick always has a saving to name.
SAME_COST = 1.15
CLEARLY_CHEAPER = math.log(SAME_COST) * len(COSTS)
_FLOOR = 1e-9  # a cost measured as 0 still divides


@dataclass(frozen=True)
class Candidate:
    """A finished run as the verdict weighs it: its test scores and what it costs."""

    run: int
    model: str
    macro_f1: float
    accuracy: float
    train_seconds: float | None = None
    latency_ms: float | None = None
    model_bytes: int | None = None

    @property
    def name(self) -> str:
        return f"#{self.run} {self.model}"


@dataclass(frozen=True)
class Recommendation:
    """The verdict on a dataset's runs. `versus_best` holds each compared run's Comparison with the top scorer
    (differences are the top scorer minus that run)."""

    pick: Candidate
    best: Candidate
    tied: tuple[Candidate, ...]  # not beaten by the best beyond chance, best score first
    beaten: tuple[Candidate, ...]
    versus_best: Mapping[int, Comparison] = field(default_factory=dict)
    unknown: Mapping[int, str] = field(default_factory=dict)  # run id: why it could not be compared

    @property
    def clear_lead(self) -> bool:
        """The top scorer beats every other run beyond chance."""
        return bool(self.beaten) and not self.tied and not self.unknown

    def standing(self, run: int) -> str:
        """'best' for a clear lead, 'tied' for each run of a tie at the top (the top scorer included), else ''."""
        if self.clear_lead:
            return "best" if run == self.best.run else ""
        return "tied" if self.tied and run in {self.best.run, *(c.run for c in self.tied)} else ""

    def headline(self) -> str:
        """'Take #3 TF-IDF + linear model.', or 'Of the two, take …' when there are two runs."""
        runs = 1 + len(self.tied) + len(self.beaten) + len(self.unknown)
        return f"{'Of the two, take' if runs == 2 else 'Take'} {self.pick.name}."

    def reason(self) -> str:
        """Why, in a few plain sentences with the numbers."""
        if not self.tied and not self.beaten:
            alone = ("It scores highest, but could not be compared with the others." if self.unknown
                     else "It is the only model finished here.")
            return alone + self._unweighed()
        if self.pick != self.best:
            return (f"It is as good as the top scorer: it {self._behind(self.pick, 'than ' + self.best.name)}. "
                    + _costs("It", self.pick, self.best) + self._unweighed())
        cheaper = [c for c in self.beaten if _cheaper(c, self.best)]
        if self.tied:
            closest = self.tied[0]
            sentences = ["It scores highest, and no model that scores about as well costs clearly less.",
                         f"The closest, {closest.name}, {self._behind(closest)}.",
                         _costs(self.best.name, self.best, closest)]
        else:
            runner = self.beaten[0]
            sentences = [f"It scores highest, ahead of every other model by more than chance: the next best, "
                         f"{runner.name}, {self._behind(runner)}."]
            if not cheaper:
                sentences.append("No model costs clearly less: " + _costs(self.best.name, self.best, runner))
        if cheaper:
            rival = cheaper[0]
            if rival != self.beaten[0] or self.tied:
                sentences.append(f"The best cheaper model, {rival.name}, {self._behind(rival)}.")
            sentences.append("The gain has a price: " + _costs(self.best.name, self.best, rival, price=True))
        return " ".join(sentences) + self._unweighed()

    def text(self) -> str:
        return f"{self.headline()} {self.reason()}"

    def _behind(self, other: Candidate, than: str = "") -> str:
        """'scores only 0.012 less macro-F1 on these 1,033 test texts (accuracy 94.0% against 95.1%), which could be
        chance': `other` against the top scorer."""
        comparison = self.versus_best[other.run]
        gap = comparison.macro_f1_difference
        chance = comparison.macro_f1_interval[0] <= 0
        verdict = "which could be chance" if chance else "a gap larger than chance"
        return (f"scores {'only ' if chance else ''}{abs(gap):.3f} {'less' if gap >= 0 else 'more'} macro-F1"
                f"{' ' + than if than else ''} on these {comparison.n:,} test texts (accuracy {other.accuracy:.1%} "
                f"against {self.best.accuracy:.1%}), {verdict}")

    def _unweighed(self) -> str:
        if not self.unknown:
            return ""
        runs = ", ".join(f"#{run}" for run in self.unknown)
        return f" Left out of this verdict (see why below): {runs}."


def relative_costs(pool: Sequence[Candidate]) -> dict[int, float]:
    """Each run's costs as multiples of the pool's lowest, multiplied together (as a logarithm), so each cost counts
    the same in proportion: twice as fast per text makes up for twice as slow to train. A cost not measured counts
    as the lowest."""
    totals = {c.run: 0.0 for c in pool}
    for cost in COSTS:
        known = [getattr(c, cost) for c in pool if getattr(c, cost) is not None]
        if not known:
            continue
        lowest = max(min(known), _FLOOR)
        for c in pool:
            value = getattr(c, cost)
            if value is not None:
                totals[c.run] += math.log(max(value, _FLOOR) / lowest)
    return totals


def _cheaper(a: Candidate, b: Candidate) -> bool:
    """Whether `a` costs clearly less than `b`, all costs weighed together."""
    costs = relative_costs([a, b])
    return costs[b.run] - costs[a.run] > CLEARLY_CHEAPER


def recommend(ranked: Sequence[Candidate], versus_best: Mapping[int, Comparison],
              unknown: Mapping[int, str] | None = None) -> Recommendation:
    """The verdict on runs ranked best macro-F1 first, given the top scorer's comparison with each other run (a run
    missing from `versus_best` could not be compared; say why in `unknown`). Runs the top scorer does not beat
    beyond chance are as good; of those the pick is the cheapest, the higher score winning among runs not clearly
    dearer than the cheapest."""
    best, others = ranked[0], ranked[1:]
    compared = [c for c in others if c.run in versus_best]
    tied = tuple(c for c in compared if versus_best[c.run].macro_f1_interval[0] <= 0)
    beaten = tuple(c for c in compared if versus_best[c.run].macro_f1_interval[0] > 0)
    pool = [best, *tied]
    costs = relative_costs(pool)
    lowest = min(costs.values())
    pick = next(c for c in pool if costs[c.run] <= lowest + CLEARLY_CHEAPER)
    return Recommendation(pick=pick, best=best, tied=tied, beaten=beaten, versus_best=dict(versus_best),
                          unknown=dict(unknown or {}))


def judge_pair(comparison: Comparison, a: Candidate, b: Candidate) -> Recommendation:
    """The verdict on two runs from their comparison (A minus B): the higher scorer on their shared texts is the top
    scorer, and the comparison is turned round when that is B."""
    if comparison.macro_f1_difference >= 0:
        return recommend([a, b], {b.run: comparison})
    return recommend([b, a], {a.run: turned_round(comparison)})


def turned_round(c: Comparison) -> Comparison:
    """B against A from A against B: every difference and interval negated, the one-sided counts swapped."""
    return replace(c, accuracy_difference=-c.accuracy_difference,
                   accuracy_interval=(-c.accuracy_interval[1], -c.accuracy_interval[0]),
                   macro_f1_difference=-c.macro_f1_difference,
                   macro_f1_interval=(-c.macro_f1_interval[1], -c.macro_f1_interval[0]),
                   only_a_right=c.only_b_right, only_b_right=c.only_a_right)


def _costs(subject: str, pick: Candidate, other: Candidate, price: bool = False) -> str:
    """'It trains in 2 s instead of 3 min 05 s and answers in 0.8 ms instead of 12 ms per text, though it is 40 MB
    instead of 5 MB on disk.' Costs within SAME_COST of each other are left out; with `price`, what `pick` costs
    more comes first."""
    better, worse = [], []
    for cost, phrase in (("train_seconds", _trains), ("latency_ms", _answers), ("model_bytes", _weighs)):
        mine, theirs = getattr(pick, cost), getattr(other, cost)
        if mine is None or theirs is None:
            continue
        ratio = max(mine, _FLOOR) / max(theirs, _FLOOR)
        if ratio < 1 / SAME_COST:
            better.append(phrase(mine, theirs))
        elif ratio > SAME_COST:
            worse.append(phrase(mine, theirs))
    first, then = (worse, better) if price else (better, worse)
    if first and then:
        return f"{subject} {_and(first)}, though it {_and(then)}."
    if better or worse:
        return f"{subject} {_and(better or worse)}."
    return f"{subject} costs about the same to train and to run."


def _and(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} and {phrases[-1]}"


def _trains(mine: float, theirs: float) -> str:
    return f"trains in {train_time(mine)} instead of {train_time(theirs)}"


def _answers(mine: float, theirs: float) -> str:
    return f"answers in {per_text(mine)} instead of {per_text(theirs)} per text"


def _weighs(mine: float, theirs: float) -> str:
    return f"is {size(mine)} instead of {size(theirs)} on disk"


def train_time(seconds: float | None) -> str:
    """'under 1 s', '13 s', '5 min 02 s'; '—' when unknown."""
    return "under 1 s" if seconds is not None and seconds < 0.5 else duration(seconds)


def per_text(ms: float | None) -> str:
    """'0.08 ms', '1.4 ms', '54 ms', '1.2 s'; '—' when unknown."""
    if ms is None:
        return "—"
    if ms >= 1000:
        return f"{ms / 1000:.1f} s"
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms" if ms >= 0.1 else f"{ms:.2f} ms"


def size(n_bytes: float | None) -> str:
    """'850 kB', '3.2 MB', '250 MB', '1.3 GB'; '—' when unknown."""
    if n_bytes is None:
        return "—"
    if n_bytes >= 1e9:
        return f"{n_bytes / 1e9:.1f} GB"
    if n_bytes >= 1e6:
        megabytes = n_bytes / 1e6
        return f"{megabytes:.0f} MB" if megabytes >= 10 else f"{megabytes:.1f} MB"
    return f"{max(n_bytes / 1e3, 1):.0f} kB"


def how_often(p: float) -> str:
    """A probability in words: 'about 66 times in 100', 'about 4 times in 1,000', 'less than once in 1,000'."""
    if p >= 0.995:
        return "nearly every time"
    if p < 0.001:
        return "less than once in 1,000"
    return f"about {p * 100:.0f} times in 100" if p >= 0.015 else f"about {p * 1000:.0f} times in 1,000"
