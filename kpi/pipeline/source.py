"""Parse the flattened PDF table of department goals into pages, departments and goals.

The PDF was flattened column by column, so each page of the text reads:

1. the department names, one block per department, separated by blank lines;
   a long name is wrapped over two lines (``市发展`` / ``改革委``);
2. every department's numbered goals in order (``1.`` … ``5.``), wrapped in a
   narrow column; the numbering restarting at 1 marks the next department;
3. the result narratives of all those goals, one after another, in a wide
   column, sometimes separated by blank lines and sometimes not.

Sections are told apart by structure (numbering, column width, the name block
that opens the next page), never by the document's particular words. Where a
narrative boundary cannot be known from the layout (two narratives run on
without a blank line, and a line ends with 。 inside a narrative), the build
uses ``data/curation/narrative_breaks.csv``; the parser refuses to guess and
says which lines are ambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

GOAL_START = re.compile(r"^\s*(\d{1,2})\s*[.．、]\s*")
# A department name line: Chinese characters only (no digits, no punctuation).
NAME_LINE = re.compile(r"^[\u4e00-\u9fff（）()]{1,14}$")
SENTENCE_END = ("。", "！", "？", "!", "?")


class SourceError(ValueError):
    """The source text does not have the expected layout (message in Chinese)."""


@dataclass(frozen=True)
class Line:
    number: int  # 1-based line number in the source file
    text: str  # stripped text

    @property
    def blank(self) -> bool:
        return not self.text


@dataclass(frozen=True)
class NarrativeBreaks:
    """Curated decisions about line ends that the layout cannot settle.

    ``joins``: exact line endings that do NOT end a narrative although they end
    a sentence. ``breaks``: exact line endings that DO end a narrative although
    no blank line follows and no sentence ends there.
    """

    joins: frozenset[str] = frozenset()
    breaks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SourceGoal:
    page: int
    dept_name: str
    seq: int
    title: str
    result: str
    title_lines: tuple[int, int]
    result_lines: tuple[int, int]


@dataclass
class SourcePage:
    number: int
    dept_names: list[str]
    name_lines: list[Line]
    title_lines: list[Line]
    narrative_lines: list[Line]
    goals: list[SourceGoal] = field(default_factory=list)

    @property
    def title_block(self) -> str:
        return "".join(line.text for line in self.title_lines)

    @property
    def narrative_block(self) -> str:
        return "".join(line.text for line in self.narrative_lines)


def display_width(text: str) -> int:
    """Width in half-width cells: a CJK character counts twice, like on the page."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def squeeze(text: str) -> str:
    """Text with every kind of whitespace removed (for lossless comparisons)."""
    return "".join(text.split())


def _goal_number(text: str) -> int | None:
    match = GOAL_START.match(text)
    return int(match.group(1)) if match else None


def _is_name_line(line: Line) -> bool:
    return bool(NAME_LINE.match(line.text))


def _opens_page(lines: list[Line], index: int) -> bool:
    """True when lines[index] starts a name block: name lines and blanks, then goal 1."""
    if not _is_name_line(lines[index]):
        return False
    for line in lines[index + 1 :]:
        if line.blank or _is_name_line(line):
            continue
        return _goal_number(line.text) == 1
    return False


def _group_names(name_lines: list[Line]) -> list[str]:
    names: list[str] = []
    current = ""
    for line in name_lines:
        if line.blank:
            if current:
                names.append(current)
            current = ""
        else:
            current += line.text
    if current:
        names.append(current)
    return names


def _split_titles(page_no: int, lines: list[Line], dept_count: int) -> tuple[list[list[tuple[int, list[Line]]]], int]:
    """Group title lines into departments and goals; return groups and where narratives start.

    A numbered line opens a goal when its number continues the current
    department's numbering or restarts at 1 (the next department). Once every
    department has started, a line wider than the title column is narrative.
    """
    column = max(display_width(line.text) for line in lines if _goal_number(line.text) is not None)
    groups: list[list[tuple[int, list[Line]]]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        number = _goal_number(line.text) if not line.blank else None
        expected_next = groups[-1][-1][0] + 1 if groups else 1
        if number == 1 and len(groups) < dept_count:
            groups.append([(1, [line])])
        elif number is not None and groups and number == expected_next:
            groups[-1].append((number, [line]))
        elif line.blank:
            pass
        elif not groups:
            raise SourceError(f"第{line.number}行：第{page_no}页的目标应以「1.」开头，实际为「{line.text}」")
        elif display_width(line.text) > column and len(groups) == dept_count:
            break  # the wide narrative column begins
        else:
            groups[-1][-1][1].append(line)
        index += 1
    return groups, index


def _narrative_boundaries(page_no: int, lines: list[Line], goal_count: int, curated: NarrativeBreaks) -> list[int]:
    """Indexes into ``lines`` after which a narrative ends (the last line excluded)."""
    content = [i for i, line in enumerate(lines) if not line.blank]
    if not content:
        raise SourceError(f"第{page_no}页没有完成情况文字")
    # Strong: a blank line between two content lines. Weak: a sentence ends at a line end.
    strong: list[int] = []
    weak: list[int] = []
    forced: list[int] = []
    for before, after in zip(content, content[1:], strict=False):
        text = lines[before].text
        if any(text.endswith(j) for j in curated.joins):
            continue
        if any(text.endswith(b) for b in curated.breaks):
            forced.append(before)
        elif after - before > 1:
            strong.append(before)
        elif text.endswith(SENTENCE_END):
            weak.append(before)
    needed = goal_count - 1
    if len(strong) + len(forced) == needed:
        return sorted(strong + forced)
    candidates = sorted(strong + forced + weak)
    if len(candidates) == needed:
        return candidates
    where = "、".join(f"第{lines[i].number}行" for i in weak) or "无"
    raise SourceError(
        f"第{page_no}页：{goal_count}个目标需要{needed}处分段，"
        f"空行给出{len(strong)}处，句末换行另有{len(weak)}处（{where}），无法确定各目标完成情况的分界。"
        "请在 data/curation/narrative_breaks.csv 中说明哪些行末不是分界（join）或是分界（break）。"
    )


def parse_source(text: str, curated: NarrativeBreaks | None = None) -> list[SourcePage]:
    """Parse the whole document. Raises SourceError (Chinese, with line numbers) on layout problems.

    Reads sequentially: name block → numbered titles → narratives, until the
    next name block (name lines followed by goal 1) opens the next page. A name
    block is only looked for among narratives, where a short line without
    punctuation cannot otherwise occur; a wrapped title can look the same.
    """
    curated = curated or NarrativeBreaks()
    lines = [Line(i + 1, raw.strip()) for i, raw in enumerate(text.splitlines())]
    pages: list[SourcePage] = []
    index = next((i for i, line in enumerate(lines) if not line.blank), len(lines))
    if index == len(lines) or not _opens_page(lines, index):
        where = f"第{lines[index].number}行「{lines[index].text}」" if index < len(lines) else "文件为空"
        raise SourceError(f"源文件应以部门名称开头，之后是以「1.」开头的目标；实际：{where}")
    while index < len(lines):
        page_no = len(pages) + 1
        first_title = next(i for i in range(index, len(lines)) if _goal_number(lines[i].text) == 1)
        name_lines = lines[index:first_title]
        dept_names = _group_names(name_lines)
        groups, narrative_start = _split_titles(page_no, lines[first_title:], len(dept_names))
        narrative_start += first_title
        if len(groups) != len(dept_names):
            raise SourceError(
                f"第{page_no}页（第{lines[index].number}行起）：有{len(dept_names)}个部门名称，"
                f"但目标编号只分出{len(groups)}组"
            )
        next_page = next((i for i in range(narrative_start, len(lines)) if _opens_page(lines, i)), len(lines))
        title_lines = [line for line in lines[first_title:narrative_start] if not line.blank]
        narrative_lines = lines[narrative_start:next_page]
        while narrative_lines and narrative_lines[-1].blank:
            narrative_lines.pop()
        page = SourcePage(page_no, dept_names, name_lines, title_lines, narrative_lines)

        goal_count = sum(len(g) for g in groups)
        cuts = _narrative_boundaries(page_no, narrative_lines, goal_count, curated)
        spans: list[list[Line]] = []
        start = 0
        for cut in cuts + [len(narrative_lines) - 1]:
            spans.append([line for line in narrative_lines[start : cut + 1] if not line.blank])
            start = cut + 1
        narratives = iter(spans)
        for dept_name, goals in zip(dept_names, groups, strict=True):
            for seq, goal_lines in goals:
                result_lines = next(narratives)
                title = GOAL_START.sub("", "".join(line.text for line in goal_lines), count=1)
                page.goals.append(
                    SourceGoal(
                        page=page_no,
                        dept_name=dept_name,
                        seq=seq,
                        title=title,
                        result="".join(line.text for line in result_lines),
                        title_lines=(goal_lines[0].number, goal_lines[-1].number),
                        result_lines=(result_lines[0].number, result_lines[-1].number),
                    )
                )
        pages.append(page)
        index = next_page
    return pages
