"""Values a dataset may hold that a page must show as written, never run or render: used as labels, texts and names
by the AppTests and the browser test."""
from __future__ import annotations

import html

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "**bold**",
    "[x](javascript:alert(1))",
    "<b>bold</b> & <br>more",
    "AT&amp;T &lt;b&gt; :smile: $x^2$ ~~gone~~ ==mark==",
    "heading\n===",
    "mail someone@example.com or see www.example.com",
]
# Telltale pieces of the values above, so a value cut short or wrapped on its way to a page is caught as well.
HOSTILE_FRAGMENTS = ["<img", "<b>", "<br>", "**bold", "](javascript", "&amp;", "&lt;", ":smile:", "$x^2$", "~~gone",
                     "==mark", "someone@example", "www.example"]
# Names a browser may send with an upload: each must end up a plain name inside its folder.
HOSTILE_FILE_NAMES = ["../../etc/passwd.csv", "..\\..\\boot.ini.csv", "/abs/path.csv", ".hidden.csv",
                      "ctrl\x00\x1b[31m.csv", "<img src=x onerror=alert(1)>.csv", "a" * 300 + ".csv"]


def shown_by_plotly(value: str) -> str:
    """How a value must reach plotly to be shown as written: brackets and ampersands as entities."""
    return html.escape(value, quote=False)
