"""Assign themes to goals by curated keywords.

A keyword found in the goal's title weighs 2, one found only in the narrative
weighs 1; a theme is assigned at a score of 2 or more (so one passing mention
in a long narrative is not enough). A goal that matches no theme gets its
department's default theme (``departments.csv``), so every goal has at least one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def assign_themes(
    title: str,
    result: str,
    keywords_by_theme: Mapping[str, Sequence[str]],
    default_themes: Sequence[str],
) -> list[str]:
    chosen = []
    for theme_id, keywords in keywords_by_theme.items():
        score = sum(2 if k in title else 1 if k in result else 0 for k in keywords)
        if score >= 2:
            chosen.append(theme_id)
    return chosen or list(default_themes)


def parse_theme_list(text: str | None) -> list[str]:
    """Split a list of theme names or ids written as 「a、b」, 「a,b」 or 「a，b」."""
    if not text:
        return []
    for separator in ("、", "，", ";", "；", "|"):
        text = text.replace(separator, ",")
    return [part.strip() for part in text.split(",") if part.strip()]
