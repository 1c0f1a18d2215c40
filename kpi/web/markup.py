"""HTML and Markdown built from the data, escaped: pure functions, no Streamlit calls.

Text from the data (titles, narratives, names) is never trusted as markup: it is
escaped here, in one place, before any component renders it.
"""

from __future__ import annotations

import html
import re

from kpi.web import i18n
from kpi.web.i18n import t

# What Streamlit's Markdown would act on inside a line: emphasis, code, links and
# directives ([ ]), raw HTML and entities (< > &), math ($), emoji (:) and
# :material/icons: (an escaped / breaks those, an escaped : alone does not),
# strikethrough, tables and headings. Other punctuation is literal mid-line.
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<>&$:/~|#])")


def markdown_literal(text: object) -> str:
    """Text from the data made safe to embed in Markdown: shown exactly as written, on one line."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", " ".join(str(text).splitlines()))


def legend_html(items: list[tuple[str, str]]) -> str:
    """A chart legend as text chips: wraps on a phone, and says each status in words."""
    chips = "".join(
        '<span style="display:inline-flex;align-items:center;gap:4px">'
        f'<span style="width:12px;height:12px;border-radius:2px;background:{color}"></span>'
        f"{html.escape(label)}</span>"
        for color, label in items
    )
    return f'<div class="kpi-legend" style="display:flex;flex-wrap:wrap;gap:4px 14px;font-size:0.85rem">{chips}</div>'


def highlight_figures(narrative: str, figures: list[str]) -> str:
    """The narrative as safe HTML with each figure (as written) wrapped in <mark>."""
    text = html.escape(narrative)
    # Longest first, so "235.4亿元" is marked before a shorter figure inside it.
    for figure in sorted({f for f in figures if f}, key=len, reverse=True):
        escaped = html.escape(figure)
        marked, rest, start = [], text, 0
        while (found := rest.find(escaped, start)) >= 0:
            inside_mark = rest.rfind("<mark>", 0, found) > rest.rfind("</mark>", 0, found)
            if inside_mark:
                start = found + len(escaped)
                continue
            marked.append(rest[:found] + f"<mark>{escaped}</mark>")
            rest, start = rest[found + len(escaped) :], 0
        text = "".join(marked) + rest
    return text


# Streamlit's badge colours (st.badge), as background and text colour for the cards' HTML.
BADGE_COLORS: dict[str, tuple[str, str]] = {
    "blue": ("#E0EDFB", "#0B4F8A"),
    "green": ("#DDF2E5", "#17693A"),
    "violet": ("#ECE4FA", "#5B2A9E"),
    "orange": ("#FCEBD6", "#8A4A00"),
    "red": ("#FBE1DF", "#A1231B"),
    "gray": ("#ECEEF1", "#3D4650"),
}


def _badge(text: str, color: str) -> str:
    background, foreground = BADGE_COLORS[color]
    return (
        f'<span class="kpi-badge" style="display:inline-block;margin:0 6px 4px 0;padding:1px 8px;'
        f'border-radius:6px;font-size:0.85rem;background:{background};color:{foreground}">{html.escape(text)}</span>'
    )


def light_badge_html(light: str, period: str, lang: str) -> str:
    """The light as shape, colour and words (never colour alone)."""
    color = i18n.LIGHT_COLORS.get(light, i18n.LIGHT_COLORS["none"])
    icon = i18n.LIGHT_ICONS.get(light, i18n.LIGHT_ICONS["none"])
    word = i18n.light_word(light, period, lang) if light in i18n.LIGHT_ICONS else light
    return (
        f'<span class="kpi-light kpi-light-{html.escape(light)}" style="display:inline-block;margin:0 6px 4px 0;'
        f"padding:0 8px;border-radius:6px;font-size:0.85rem;border:1.5px solid {color};background:#FFFFFF;"
        f'color:#262730"><span aria-hidden="true" style="color:{color}">{icon}</span> {html.escape(word)}</span>'
    )


def history_html(rows: list[dict], moves: list[str], lang: str) -> str:
    """A goal's series across the periods of its year: period, light and share of target."""
    steps = []
    for row in rows:
        share = f" {row['share']:.1f}".rstrip("0").rstrip(".") + "%" if row.get("share") is not None else ""
        steps.append(
            f'<span class="kpi-history-step">{html.escape(i18n.period_label(row["period"], lang))} '
            f"{light_badge_html(row['light'], row['period'], lang)}{html.escape(share)}</span>"
        )
    line = " → ".join(steps)
    extra = "".join(f"<br>{html.escape(m)}" for m in moves)
    return (
        f'<p class="kpi-history" style="margin:6px 0 0 0;font-size:0.85rem">'
        f"<strong>{html.escape(t('history', lang))}</strong>：{line}{extra}</p>"
    )


def goal_card_html(goal: dict, figures: list[str], theme_names: dict[str, str], lang: str, history: str = "") -> str:
    """A goal card's text as one block of escaped HTML: title, badges (light and status in
    words, department, themes), the narrative with its figures marked, the light's and the
    status's reasons, and (``history``, already escaped) its series across periods."""
    status = goal["status"]
    badges = []
    if goal.get("light"):
        badges.append(light_badge_html(goal["light"], goal.get("period") or "FY", lang))
    badges.append(_badge(i18n.status_label(status, lang), i18n.STATUS_BADGE_COLORS[status]))
    badges.append(_badge(i18n.department_name(goal["dept_name"], lang), "gray"))
    badges += [_badge(theme_names.get(theme_id, theme_id), "gray") for theme_id in goal["themes"] or []]
    reason = f"{t('status_reason', lang)}：{goal['status_reason'] or ''}"
    light_reason = ""
    if goal.get("light_reason"):
        light_reason = (
            '<p class="kpi-light-reason" style="margin:6px 0 0 0;font-size:0.85rem;color:#5A6470">'
            f"{html.escape(t('light_reason', lang))}：{html.escape(goal['light_reason'])}</p>"
        )
    return (
        f'<p class="kpi-title" style="margin:0 0 6px 0"><strong>{goal["seq"]}. {html.escape(goal["title"])}</strong></p>'
        f'<p class="kpi-badges" style="margin:0 0 4px 0">{"".join(badges)}</p>'
        f'<div class="kpi-narrative">{highlight_figures(goal["result"], figures)}</div>'
        f"{light_reason}"
        f'<p class="kpi-reason" style="margin:6px 0 0 0;font-size:0.85rem;color:#5A6470">{html.escape(reason)}</p>'
        f"{history}"
    )
