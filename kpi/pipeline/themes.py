"""Assign themes to goals by curated keywords.

A keyword found in the goal's title weighs 2, one found only in the narrative
weighs 1 (a keyword contained in a longer matched one, 村 in 农村, counts once); a theme is assigned at a score of 2 or more (so one passing mention
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
        in_title = _distinct_matches(keywords, title)
        in_result = [k for k in _distinct_matches(keywords, result) if not any(k in t or t in k for t in in_title)]
        score = 2 * len(in_title) + len(in_result)
        if score >= 2:
            chosen.append(theme_id)
    return chosen or list(default_themes)


def _distinct_matches(keywords: Sequence[str], text: str) -> list[str]:
    """Keywords found in text, a keyword inside a longer found one counted once (村 in 农村)."""
    found = [k for k in keywords if k in text]
    return [k for k in found if not any(k != other and k in other for other in found)]


def parse_theme_list(text: str | None) -> list[str]:
    """Split a list of theme names or ids written as 「a、b」, 「a,b」 or 「a，b」."""
    if not text:
        return []
    for separator in ("、", "，", ";", "；", "|"):
        text = text.replace(separator, ",")
    return [part.strip() for part in text.split(",") if part.strip()]
