"""HTML and Markdown built from the data, escaped: pure functions, no Streamlit calls.

Text from the data (titles, narratives, names) is never trusted as markup: it is
escaped here, in one place, before any component renders it.
"""

from __future__ import annotations

import html
import re

from kpi.contract.vocab import FULL_YEAR
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


_TAG = re.compile(r"(<[^>]+>)")
HIT_STYLE = "background:#FFD54F;color:inherit;border-radius:2px;padding:0 1px"


def highlight_terms(safe_html: str, terms: tuple[str, ...]) -> str:
    """``safe_html`` (already escaped) with every case-insensitive occurrence of a search term
    in its text (never inside a tag) wrapped in <mark class="kpi-hit">."""
    words = sorted({html.escape(w) for w in terms if w}, key=len, reverse=True)
    if not words:
        return safe_html
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    parts = _TAG.split(safe_html)
    return "".join(
        part
        if part.startswith("<")
        else pattern.sub(lambda m: f'<mark class="kpi-hit" style="{HIT_STYLE}">{m.group(0)}</mark>', part)
        for part in parts
    )


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


def goal_card_html(
    goal: dict,
    figures: list[str],
    theme_names: dict[str, str],
    lang: str,
    with_department: bool = True,
    terms: tuple[str, ...] = (),
    history: str = "",
) -> str:
    """A goal card's text as one block of escaped HTML: title, badges (light and status in
    words, department, themes), the narrative with its figures marked, the light's and the
    status's reasons, and (``history``, already escaped) its series across periods.

    ``with_department``: number the title with its department ("市经信局 1. …"), as a list of
    several departments' goals must — the source numbers each department's goals from 1.
    ``terms``: the search's spellings, highlighted in the card's text (not in its history)."""
    status = goal["status"]
    badges = []
    if goal.get("light"):
        badges.append(light_badge_html(goal["light"], goal.get("period") or "FY", lang))
    badges.append(_badge(i18n.status_label(status, lang), i18n.STATUS_BADGE_COLORS[status]))
    badges.append(_badge(i18n.department_name(goal["dept_name"], lang), "gray"))
    badges += [_badge(theme_names.get(theme_id, theme_id), "gray") for theme_id in goal["themes"] or []]
    reason = t("labelled", lang, label=t("status_reason", lang), text=goal["status_reason"] or "")
    number = f"{goal['seq']}."
    if with_department:
        number = f"{html.escape(i18n.department_name(goal['dept_name'], lang))} {number}"
    title = f"{number} {html.escape(goal['title'])}"
    light_reason = ""
    if goal.get("light_reason"):
        light_reason = (
            '<p class="kpi-light-reason" style="margin:6px 0 0 0;font-size:0.85rem;color:#5A6470">'
            f"{html.escape(t('labelled', lang, label=t('light_reason', lang), text=goal['light_reason']))}</p>"
        )
    return (
        highlight_terms(
            f'<p class="kpi-title" style="margin:0 0 6px 0"><strong>{title}</strong></p>'
            f'<p class="kpi-badges" style="margin:0 0 4px 0">{"".join(badges)}</p>'
            f'<div class="kpi-narrative">{highlight_figures(goal["result"], figures)}</div>'
            f"{light_reason}"
            f'<p class="kpi-reason" style="margin:6px 0 0 0;font-size:0.85rem;color:#5A6470">{html.escape(reason)}</p>',
            terms,
        )
        + history
    )


def problems_html(rows: list[dict], lang: str, period: str = FULL_YEAR) -> str:
    """One line per department with a problem, worst first: its red and yellow lights, then the
    statuses behind them — "市经信局：▲ 未完成 2（难度较大 2）".

    ``rows``: dept name, red, yellow, not_met, at_risk, pending (from queries.problem_departments)."""
    items = []
    for row in rows:
        lights = "、".join(
            f"{i18n.light_label(light, period, lang)} {row[light]}" for light in ("red", "yellow") if row[light]
        )
        statuses = "、".join(
            f"{i18n.status_label(status, lang)} {row[status]}"
            for status in ("not_met", "at_risk", "pending")
            if row[status]
        )
        counts = f"{lights}（{statuses}）" if lights and statuses else lights or statuses
        name = html.escape(i18n.department_name(row["name"], lang))
        items.append(f'<li class="kpi-problem"><strong>{name}</strong>：{html.escape(counts)}</li>')
    return f'<ul class="kpi-problems" style="margin:0 0 0.5rem 1.1rem;padding:0">{"".join(items)}</ul>'


LEAGUE_HEADINGS: tuple[str, ...] = ("col_place", "col_department", "col_on_pace_share", "tile_first", "col_top3_short")
_LEAGUE_ALIGN: tuple[str, ...] = ("left", "left", "right", "right", "right")


def league_cells(row: dict, lang: str) -> tuple[str, str, str, str, str]:
    """One row of the league table as text, in the order of ``LEAGUE_HEADINGS``: place (a tie
    said as one), department, share of goals on pace (green) with its count, 全省第一 and 全省前三
    figures."""
    place = t("place_tied" if row["tied"] else "place", lang, n=row["place"])
    share = f"{round(row['green_share'] * 100)}% ({row['green']}/{row['total']})"
    return place, i18n.department_name(row["name"], lang), share, str(row["firsts"]), str(row["top3"])


def league_html(rows: list[dict], lang: str) -> str:
    """The 赛马 league table as an HTML table that wraps (nothing is cut), ties written as ties.

    ``rows``: from queries.league_table, in order."""
    head = "".join(
        f'<th style="text-align:{align};padding:2px 6px;border-bottom:1px solid #ccc;white-space:nowrap">'
        f"{html.escape(t(key, lang))}</th>"
        for key, align in zip(LEAGUE_HEADINGS, _LEAGUE_ALIGN, strict=True)
    )
    body = []
    for row in rows:
        cells = tuple(zip(league_cells(row, lang), _LEAGUE_ALIGN, strict=True))
        body.append(
            '<tr class="kpi-league-row">'
            + "".join(
                # Only the department name wraps; places, shares and counts stay on one line.
                f'<td style="text-align:{align};padding:2px 6px;'
                f'{"overflow-wrap:anywhere" if index == 1 else "white-space:nowrap"}">{html.escape(text)}</td>'
                for index, (text, align) in enumerate(cells)
            )
            + "</tr>"
        )
    return (
        '<table class="kpi-league" style="width:100%;border-collapse:collapse;font-size:0.9rem">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def rank_sentence(row: dict, lang: str) -> tuple[str, str]:
    """(rank as text, the rest of the sentence) for one ranked figure: "全省第1" and
    "获批企业境外债，数值 35.04亿美元"; a 前N as a range, a forecast said as one."""
    rank = i18n.rank_text(row["rank_scope"], row["rank"], row["rank_is_top_n"], lang)
    if row["is_forecast"]:
        rank = t("rank_forecast", lang) + rank
    rest = row["name"]
    if row["unit"] != "位次" and row["value_text"]:
        rest += t("rank_value", lang, value=row["value_text"])
    if row["rank_is_top_n"]:
        rest += t("rank_range_text", lang, rank=row["rank"])
    if row["is_forecast"]:
        rest += t("rank_forecast_note", lang)
    return rank, rest


def rank_sentences_html(rows: list[dict], lang: str) -> str:
    """Ranked figures as sentences grouped by department, full names, nothing cut: one heading
    per department ("湖州市财政局（市财政局）"), one line per figure with the rank in bold and
    the source's quote in small print. ``rows``: from queries.rank_statements, in order."""
    parts: list[str] = []
    current = None
    for row in rows:
        if row["dept_id"] != current:
            if current is not None:
                parts.append("</ul></div>")
            current = row["dept_id"]
            name = i18n.department_name(row["dept_name"], lang)
            heading = name if lang == "en" else f"{row['dept_full_name']}（{row['dept_name']}）"
            parts.append(
                f'<div class="kpi-rank-dept" style="margin:0 0 0.8rem 0"><p style="margin:0 0 0.2rem 0">'
                f"<strong>{html.escape(heading)}</strong></p>"
                '<ul style="margin:0 0 0 1.1rem;padding:0">'
            )
        rank, rest = rank_sentence(row, lang)
        style = "color:#5A6470" if row["is_forecast"] else ""
        parts.append(
            f'<li class="kpi-rank" style="margin:0 0 0.25rem 0;overflow-wrap:anywhere;{style}">'
            f"<strong>{html.escape(rank)}</strong>：{html.escape(rest)}"
            f'<br><span style="font-size:0.8rem;color:#5A6470">{html.escape(t("col_quote", lang))}：'
            f"{html.escape(row['quote'])}</span></li>"
        )
    if current is not None:
        parts.append("</ul></div>")
    return "".join(parts)


COPY_SCRIPT = """<script>
(() => {
  // One listener for the whole page, installed once: a click on any copy button copies the
  // URL in its data-url (escaped HTML attribute; nothing from it is run), then says so.
  if (window.__kpiCopyInstalled) return;
  window.__kpiCopyInstalled = true;
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button.kpi-copy");
    if (!button) return;
    const url = button.dataset.url, status = button.nextElementSibling;
    const done = () => { status.textContent = button.dataset.done; };
    const fallback = () => {
      const area = document.createElement("textarea");
      area.value = url; area.setAttribute("readonly", "");
      area.style.position = "fixed"; area.style.opacity = "0";
      document.body.appendChild(area); area.select();
      let copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      area.remove();
      status.textContent = copied ? button.dataset.done : button.dataset.failed;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(done, fallback);
    } else {
      fallback();
    }
  });
})();
</script>"""


def copy_link_html(url: str, lang: str) -> str:
    """A button that copies ``url`` in one tap (the Clipboard API, or the older copy command
    where the page is not served over HTTPS), then says so. The URL is escaped into an
    attribute and read from there by a fixed script: nothing from the URL is ever run."""
    done, failed = html.escape(t("copied", lang)), html.escape(t("copy_failed", lang))
    return (
        '<div class="kpi-share" style="display:flex;justify-content:flex-end;align-items:center;gap:8px">'
        f'<button type="button" class="kpi-copy" data-url="{html.escape(url)}" data-done="{done}" '
        f'data-failed="{failed}" '
        'style="display:inline-flex;align-items:center;gap:4px;padding:6px 14px;min-height:40px;'
        "border:1px solid #0B5CAD;border-radius:6px;background:#FFFFFF;color:#0B5CAD;font-size:0.95rem;"
        f'cursor:pointer">{html.escape(t("share", lang))}</button>'
        '<span class="kpi-copy-status" aria-live="polite" style="font-size:0.85rem;color:#17693A"></span></div>'
        + COPY_SCRIPT
    )


CHANGES_LIST = "kpi-changes"


def change_word(change: int, lang: str) -> str:
    """变差 / 好转 / neither (between green and nothing measurable), from queries.light_changes."""
    return t("change_worse" if change > 0 else "change_better" if change < 0 else "change_neither", lang)


def changes_html(rows: list[dict], previous: str, period: str, lang: str) -> str:
    """较上期变化 as a list that reads on any width: per goal its department and title, its light
    before and now (shape, colour and words, as on the cards) with the change in words, and the
    reason of its light now. ``rows`` from queries.light_changes."""
    items = []
    for row in rows:
        head = f"{i18n.department_name(row['dept_name'], lang)} {row['seq']}. {row['title']}"
        lights = t(
            "change_tag",
            lang,
            previous=light_badge_html(row["previous_light"], previous, lang),
            now=light_badge_html(row["light"], period, lang),
            word=html.escape(change_word(row["change"], lang)),
        )
        reason = t("labelled", lang, label=t("light_reason", lang), text=row["light_reason"] or "")
        items.append(
            f'<li class="{CHANGES_LIST}-item" style="margin:0 0 0.6rem 0;overflow-wrap:anywhere">'
            f"<strong>{html.escape(head)}</strong><br>{lights}<br>"
            f'<span style="font-size:0.85rem;color:#5A6470">{html.escape(reason)}</span></li>'
        )
    return (
        f'<ul class="{CHANGES_LIST}" style="margin:0 0 0.5rem 1.1rem;padding:0;font-size:0.92rem">{"".join(items)}</ul>'
    )


def lines_html(items: list[tuple[str, str, str]], key: str) -> str:
    """A list that reads on any width: per item a bold head, an optional tag and a sentence,
    all escaped and wrapped (a table of eight columns does not fit a phone)."""
    body = "".join(
        f'<li class="{key}-item" style="margin:0 0 0.45rem 0;overflow-wrap:anywhere">'
        f"<strong>{html.escape(head)}</strong>"
        + (f" <span style='white-space:nowrap'>{html.escape(tag)}</span>" if tag else "")
        + f"<br>{html.escape(sentence)}</li>"
        for head, tag, sentence in items
    )
    return f'<ul class="{key}" style="margin:0 0 0.5rem 1.1rem;padding:0;font-size:0.92rem">{body}</ul>'
