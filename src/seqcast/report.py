"""A self-contained HTML report: tables and PNG pictures embedded, readable offline."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1rem 0; } img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9rem; color: #555; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dt { font-weight: 600; }
"""


def write_report(
    path: Path,
    title: str,
    facts: Mapping[str, Any],
    sections: Mapping[str, pd.DataFrame | Path],
) -> None:
    """Write ``path``: a heading, ``facts`` as a definition list, then ``sections`` in order:
    a DataFrame becomes a table under its name, whose HTML id is the name in lower case
    with dashes (``"MAE per step"`` -> ``<table id="mae-per-step">``); a Path is a PNG
    embedded as a data URL, the name its caption."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if facts:
        parts.append("<dl>")
        for key, value in facts.items():
            parts.append(f"<dt>{html.escape(str(key))}</dt><dd>{html.escape(str(value))}</dd>")
        parts.append("</dl>")
    for name, content in sections.items():
        if isinstance(content, pd.DataFrame):
            table_id = name.lower().replace(" ", "-")
            parts.append(f"<h2>{html.escape(name)}</h2>")
            parts.append(
                content.to_html(
                    table_id=table_id, float_format=_format, border=0, na_rep="", escape=True
                )
            )
        else:
            data = base64.b64encode(content.read_bytes()).decode("ascii")
            parts.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(name)}">'
                f"<figcaption>{html.escape(name)}</figcaption></figure>"
            )
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")


def _format(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.4g}"
