"""User values put into Markdown show as written: rendered by a CommonMark renderer, each comes back as its own text."""
from __future__ import annotations

import html

import pytest
from markdown_it import MarkdownIt

from core.wording import WORD_JOINER, literal_markdown
from tests.hostile_inputs import HOSTILE

RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
MORE = ["# not a heading", "1. not a list", "- nor this", "> nor a quote", "    not code", "| a | b |", "`code`",
        "\\*escaped already\\*", "<https://example.com>", "a_b_c", "x *y* z", "![img](https://example.com/i.png)"]


@pytest.mark.parametrize("value", HOSTILE + MORE)
def test_a_value_renders_as_its_own_text(value):
    shown = " ".join(value.split())  # runs of white space, line breaks included, become one space
    rendered = RENDERER.render(literal_markdown(value)).replace(WORD_JOINER, "")
    assert rendered == f"<p>{html.escape(shown, quote=False)}</p>\n"


@pytest.mark.parametrize("value, parts", [("ada@example.com", ["ada@", "example"]), ("www.example.com", ["www", "."]),
                                          ("HTTPS://example.com", ["HTTPS:", "//"])])
def test_what_would_start_a_bare_link_is_split_by_an_invisible_joiner(value, parts):
    # GitHub-flavoured Markdown links these after reading escapes (the browser test checks no link is made).
    assert WORD_JOINER.join(parts) in RENDERER.render(literal_markdown(value)).replace("\\", "")


def test_the_value_stays_whole_inside_a_sentence():
    rendered = RENDERER.render(f"Saved **{literal_markdown('[x](javascript:alert(1))')}**: 3 texts.")
    assert rendered == "<p>Saved <strong>[x](javascript:alert(1))</strong>: 3 texts.</p>\n"
