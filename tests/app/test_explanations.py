"""The word highlight's HTML and the top-words chart, built from hand-made explanations."""
from __future__ import annotations

from core.inference.attributions import Explanation, WordWeight, words
from dashboard.explanations import GREEN, RED, highlight_html, top_words


def explanation(text: str, weights: list[float]) -> Explanation:
    return Explanation("sport", [WordWeight(s, e, text[s:e], w) for (s, e), w in zip(words(text), weights)], 0)


def test_highlight_escapes_everything_between_and_inside_the_words():
    text = 'goal & "pasta" <b>'
    html = highlight_html(text, explanation(text, [0.5, -0.25, 0.0]))
    assert "&amp; &quot;" in html and "&lt;<span" in html and "<b>" not in html
    assert f"rgba({GREEN}, 0.60)" in html  # the strongest word at full strength
    assert f"rgba({RED}, 0.30)" in html  # half as strong the other way


def test_top_words_sums_repeated_words_and_leaves_out_words_of_no_weight():
    text = "goal pasta goal the"
    bars = top_words(explanation(text, [0.2, -0.1, 0.3, 0.0]), "weight").data[0]
    assert list(bars.y) == ["pasta", "goal"]  # largest last: plotly draws the first bar at the bottom
    assert list(bars.x) == [-0.1, 0.5]
