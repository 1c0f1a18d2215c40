"""Measure figure extraction against a hand-read set: ``python -m kpi.evaluate FILE.json [--data-dir DIR]``.

The set is ``{"rows": [...], "expect": [...]}``: ``rows`` are goals in the import template's
columns (年度, 期间, 部门, 序号, 目标任务, 完成情况; an optional 来源 is the source address),
``expect`` the figures a careful reader wrote down for them (year, period, dept, seq, value,
unit, optional growth_pct, completion_pct, rank, rank_scope, target, ambiguous, name, source).

How the rows are imported
    Through the real import path (``kpi.pipeline.ingest.plan_import``) into a temporary copy
    of the data directory (``--data-dir``, default the dashboard's), which is then discarded.
    期间 and the set's 序号 (which may be 一-1, （一） or empty) are data of the evaluation row,
    not of the import: row *i* of the set is imported with 序号 ``9000 + i`` (a namespace no
    real goal uses) and 部门 「未注明部门」 when empty, so two periods of the same goal stay two
    goals. An expectation belongs to the row with the same year, period, dept, seq and, when both
    give it, source address; each must name exactly one row.

Matching
    An expected figure matches a produced figure of its row when the units are equal and the
    values agree to 1e-6 (relative); an expected rate-only figure (unit %) also matches a
    figure whose growth or completion rate is that value. Each produced figure matches at
    most one expectation (the first in the set's order). Expectations marked ``ambiguous``
    are not scored, and neither are the figures matched to them.

The measures (``ambiguous`` left out everywhere)
    recall (value)   expected figures that some produced figure matches
    recall (strict)  … and whose growth_pct, completion_pct, rank and rank_scope equal the
                     expected ones wherever the expectation states them
    precision        produced figures matched to an expectation whose attributes are right:
                     growth_pct, completion_pct and rank equal the expected ones, stated or
                     absent alike (a rate or rank on the wrong figure is wrong), the rank scope
                     agrees, and a target stated in the goal or curated is the expected
                     target (a wrong or made-up target is wrong; a missing one is not). A
                     target worked out from a completion rate or an excess is judged by that
                     rate, and a completion rate worked out from a stated target by that target.
    readable name    of the precise figures, those whose name says what is measured: the name
                     shares at least half of the bigrams of the shorter of it and the expected
                     name (brackets and quotes ignored), and has no list marker (一是, 如, ①),
                     no doubled word and no dangling 的/和/、 at either end (GDP counts as
                     地区生产总值)
    待核             produced figures of low confidence (shown marked, kept out of counts)
    not scored       produced figures that match no expectation: the hand-read sets do not
                     list every figure of a row, so these are counted and listed, not scored.
    precision floor  precise figures over scored figures plus the unlisted figures of high
                     confidence, i.e. every unlisted figure that would be counted is taken as
                     wrong: the precision if the reader left out only wrong figures. The true
                     precision over everything produced lies between this floor and precision.
Rank scopes agree when equal after dropping brackets (全市（湖州） = 全市).
A rank scope stated by the expectation is checked only when it also gives a rank, and only when
the row's own text names it: a scope the reader took from outside the row (a table header, as
全市排名 above a headerless indicator row) cannot be read from it, and there the figure must
say 未注明 rather than name another scope.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kpi.contract.schema import TABLES
from kpi.contract.storage import data_dir, table_path
from kpi.pipeline.build import CURATION_DIR
from kpi.pipeline.cli import ChineseArgumentParser
from kpi.pipeline.ingest import plan_import

SEQ_BASE = 9000
NO_DEPARTMENT = "未注明部门"
ATTRIBUTES = ("growth_pct", "completion_pct", "rank")
# Latin abbreviations a reader understands as the Chinese name they stand for.
ALIASES = {"GDP": "地区生产总值"}


class EvaluationError(ValueError):
    """The hand-read set is malformed (message in Chinese)."""


@dataclass
class Outcome:
    expected: int = 0
    found: int = 0
    strict: int = 0
    scored: int = 0
    precise: int = 0
    readable: int = 0
    unscored: int = 0
    unscored_high: int = 0  # of the unscored, those of high confidence (they would be counted)
    low: int = 0  # produced figures marked 待核 (confidence low)
    missed: list[dict] = field(default_factory=list)
    wrong: list[tuple[str, dict, dict]] = field(default_factory=list)  # (class, figure, expectation)
    unreadable: list[tuple[dict, dict]] = field(default_factory=list)
    extra: list[dict] = field(default_factory=list)
    loose: list[tuple[dict, dict]] = field(default_factory=list)  # found, but not strictly

    def ratio(self, part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    @property
    def recall(self) -> float:
        return self.ratio(self.found, self.expected)

    @property
    def strict_recall(self) -> float:
        return self.ratio(self.strict, self.expected)

    @property
    def precision(self) -> float:
        return self.ratio(self.precise, self.scored)

    @property
    def precision_floor(self) -> float:
        return self.ratio(self.precise, self.scored + self.unscored_high)

    @property
    def readable_share(self) -> float:
        return self.ratio(self.readable, self.scored)


def load_set(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvaluationError(f"找不到文件：{path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvaluationError(f"{path.name}：不是 UTF-8 编码的 JSON（{exc}）") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list) or not isinstance(data.get("expect"), list):
        raise EvaluationError(f"{path.name}：应为含 rows 和 expect 两个列表的 JSON 对象")
    for n, row in enumerate(data["rows"], start=1):
        missing = [
            k for k in ("年度", "部门", "序号", "目标任务", "完成情况") if not isinstance(row, dict) or k not in row
        ]
        if missing:
            raise EvaluationError(f"{path.name}：rows 第{n}条缺少 {'、'.join(missing)}")
    for n, item in enumerate(data["expect"], start=1):
        missing = [k for k in ("year", "dept", "seq", "value", "unit") if not isinstance(item, dict) or k not in item]
        if missing:
            raise EvaluationError(f"{path.name}：expect 第{n}条缺少 {'、'.join(missing)}")
    return data


def _row_key(row: dict) -> tuple:
    return (int(row["年度"]), str(row.get("期间") or ""), str(row["部门"] or ""), str(row["序号"] or ""))


def _expect_key(item: dict) -> tuple:
    return (int(item["year"]), str(item.get("period") or ""), str(item["dept"] or ""), str(item["seq"] or ""))


def import_rows(rows: Sequence[dict], source_dir: Path, curation_dir: Path = CURATION_DIR) -> dict[int, list[dict]]:
    """Import the rows into a temporary copy of ``source_dir``; the figures of each row, by row index."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["年度", "部门", "序号", "目标任务", "完成情况"])
    for i, row in enumerate(rows):
        writer.writerow([row["年度"], row["部门"] or NO_DEPARTMENT, SEQ_BASE + i, row["目标任务"], row["完成情况"]])
    with tempfile.TemporaryDirectory(prefix="kpi-evaluate-") as scratch:
        copy = Path(scratch) / "data"
        copy.mkdir()
        for name in TABLES:
            if table_path(source_dir, name).exists():
                # Bytes, not shutil.copy2: the source may be a version in a bucket.
                table_path(copy, name).write_bytes(table_path(source_dir, name).read_bytes())
        plan = plan_import(buffer.getvalue().encode("utf-8"), "evaluate.csv", copy, curation_dir)
    if not plan.ok or plan.dataset is None:
        raise EvaluationError("导入失败：" + "；".join(str(p) for p in plan.problems))
    goals = plan.dataset.goals.filter(plan.dataset.goals["seq"] >= SEQ_BASE)
    by_goal = {g["goal_id"]: g["seq"] - SEQ_BASE for g in goals.iter_rows(named=True)}
    figures: dict[int, list[dict]] = {i: [] for i in range(len(rows))}
    for indicator in plan.dataset.indicators.iter_rows(named=True):
        index = by_goal.get(indicator["goal_id"])
        if index is not None and 0 <= index < len(rows):
            figures[index].append(indicator)
    return figures


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _matches(figure: dict, item: dict) -> bool:
    if figure["unit"] == item["unit"] and _close(figure["value"], float(item["value"])):
        return True
    if item["unit"] == "%":
        value = float(item["value"])
        return any(_close(figure[k], value) for k in ("growth_pct", "completion_pct") if figure[k] is not None)
    return False


def _scope(text: str | None) -> str:
    return re.sub(r"（[^）]*）|\([^)]*\)", "", text or "")


def _scope_agrees(figure: dict, item: dict, row: dict) -> bool:
    """Whether the figure's rank scope is the expected one, as far as the row's text can say it."""
    want = _scope(item.get("rank_scope"))
    got = _scope(figure["rank_scope"])
    if not want or want in f"{row['目标任务']}{row['完成情况']}":
        return got == want
    return got in (want, "未注明")  # the reader's scope is not in the row (a lost table header)


def _wrong_class(figure: dict, item: dict, row: dict) -> str | None:
    """Why a matched figure is wrong, or None when its attributes are right."""
    stated = figure["target_basis"] in ("stated", "curated")
    for attribute in ATTRIBUTES:
        expected = item.get(attribute)
        got = figure[attribute]
        if attribute == "completion_pct" and expected is None and stated and item.get("target") is not None:
            continue  # the rate worked out from a stated target the reader also wrote down
        if expected is None and got is not None:
            return f"多出的{_LABELS[attribute]}"
        if expected is not None and got is not None and not _close(float(got), float(expected)):
            return f"错误的{_LABELS[attribute]}"
    if item.get("rank") is not None and figure["rank"] is not None and not _scope_agrees(figure, item, row):
        return "错误的排名范围"
    if figure["target"] is not None and stated:
        expected = item.get("target")
        if expected is None:
            return "编造的目标"
        target_in_growth = item.get("growth_pct") is not None and figure["unit"] != "%"
        if not target_in_growth and not _close(figure["target"], float(expected)):
            return "错误的目标"
    return None


_LABELS = {"growth_pct": "增速", "completion_pct": "完成率", "rank": "排名"}


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"（[^）]*）|\([^)]*\)|[“”‘’《》「」、，\s]", "", text)
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


_MARKER_RE = re.compile(r"^(?:[一二三四五六七八九十]是|如|[①②③④⑤⑥⑦⑧⑨⑩]|\d+[.、．])")


def _doubled(name: str) -> bool:
    return any(name[i : i + k] == name[i + k : i + 2 * k] for k in (2, 3, 4) for i in range(len(name) - 2 * k + 1))


def readable(name: str, expected_name: str | None) -> bool:
    """Whether a figure's name says what is measured (see the module docstring)."""
    if not name or _MARKER_RE.match(name) or _doubled(name) or re.search(r"^[的和、及与]|[的和、及与]$", name):
        return False
    if not expected_name:
        return True
    for short, full in ALIASES.items():
        name = name.replace(short, full)
    got, want = _bigrams(name), _bigrams(expected_name)
    if not got or not want:
        return False
    return len(got & want) / min(len(got), len(want)) >= 0.5


def score(data: dict, figures: dict[int, list[dict]]) -> Outcome:
    rows = data["rows"]
    index: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        index.setdefault(_row_key(row), []).append(i)
    outcome = Outcome()
    used: set[tuple[int, int]] = set()  # (row, figure position)
    for n, item in enumerate(data["expect"], start=1):
        candidates = index.get(_expect_key(item), [])
        if item.get("source"):
            candidates = [i for i in candidates if rows[i].get("来源") in (None, "", item["source"])]
        if len(candidates) != 1:
            raise EvaluationError(f"expect 第{n}条应恰好对应 rows 中的一行，实际对应 {len(candidates)} 行")
        row = candidates[0]
        match = next(
            (
                (pos, figure)
                for pos, figure in enumerate(figures[row])
                if (row, pos) not in used and _matches(figure, item)
            ),
            None,
        )
        if match is not None:
            used.add((row, match[0]))
        if item.get("ambiguous"):
            continue
        outcome.expected += 1
        if match is None:
            outcome.missed.append(item)
            continue
        figure = match[1]
        outcome.found += 1
        strict = all(
            item.get(a) is None or (figure[a] is not None and _close(float(figure[a]), float(item[a])))
            for a in ATTRIBUTES
        ) and (item.get("rank") is None or _scope_agrees(figure, item, rows[row]))
        outcome.strict += strict
        if not strict:
            outcome.loose.append((figure, item))
        outcome.scored += 1
        wrong = _wrong_class(figure, item, rows[row])
        if wrong:
            outcome.wrong.append((wrong, figure, item))
            continue
        outcome.precise += 1
        if readable(figure["name"], item.get("name")):
            outcome.readable += 1
        else:
            outcome.unreadable.append((figure, item))
    for row, row_figures in figures.items():
        for pos, figure in enumerate(row_figures):
            outcome.low += figure.get("confidence") == "low"
            if (row, pos) not in used:
                outcome.unscored += 1
                outcome.unscored_high += figure.get("confidence") != "low"
                outcome.extra.append(figure)
    return outcome


def evaluate(path: Path, source_dir: Path, curation_dir: Path = CURATION_DIR) -> Outcome:
    data = load_set(path)
    return score(data, import_rows(data["rows"], source_dir, curation_dir))


def _figure_text(figure: dict) -> str:
    parts = [f"「{figure['name']}」{figure['value_text']}"]
    for key, label in (("growth_pct", "增速"), ("completion_pct", "完成率"), ("rank", "排名")):
        if figure[key] is not None:
            parts.append(f"{label} {figure[key]:g}")
    if figure["rank_scope"]:
        parts.append(figure["rank_scope"])
    if figure["target_text"]:
        parts.append(f"目标 {figure['target_text']}")
    return "，".join(parts)


def _expected_text(item: dict) -> str:
    parts = [f"「{item.get('name', '')}」{item['value']:g} {item['unit']}"]
    for key, label in (("growth_pct", "增速"), ("completion_pct", "完成率"), ("rank", "排名")):
        if item.get(key) is not None:
            parts.append(f"{label} {item[key]:g}")
    if item.get("rank_scope") and item.get("rank") is not None:
        parts.append(item["rank_scope"])
    return "，".join(parts)


def report(outcome: Outcome, verbose: bool = False) -> str:
    lines = [
        f"召回率（数值）：{outcome.recall:.1%}（{outcome.found}/{outcome.expected}）",
        f"召回率（严格：数值、增速、完成率、排名）：{outcome.strict_recall:.1%}（{outcome.strict}/{outcome.expected}）",
        f"准确率（数值与属性正确、无错误目标）：{outcome.precision:.1%}（{outcome.precise}/{outcome.scored}）",
        f"名称可读的准确指标：{outcome.readable_share:.1%}（{outcome.readable}/{outcome.scored}）",
        f"准确率下限（未列出的高可信指标全部计为错误）：{outcome.precision_floor:.1%}"
        f"（{outcome.precise}/{outcome.scored + outcome.unscored_high}）",
        f"未计分的其他指标（人工读数未列出）：{outcome.unscored} 个，其中高可信 {outcome.unscored_high} 个",
        f"待核指标（可信度低，不计入统计）：{outcome.low} 个",
    ]
    if outcome.wrong:
        lines.append("错误的指标（按类别）：")
        for kind, count in Counter(kind for kind, _, _ in outcome.wrong).most_common():
            lines.append(f"  {kind}：{count} 个")
            for got_kind, figure, item in outcome.wrong:
                if got_kind == kind:
                    lines.append(f"    {_figure_text(figure)} ← 应为「{item.get('name', '')}」")
    if outcome.missed:
        lines.append("未找到的指标：")
        lines.extend(f"  「{item.get('name', '')}」{item['value']:g} {item['unit']}" for item in outcome.missed)
    if outcome.loose:
        lines.append("数值找到但增速、完成率或排名不全：")
        lines.extend(f"  {_figure_text(figure)} ← 应为 {_expected_text(item)}" for figure, item in outcome.loose)
    if outcome.unreadable:
        lines.append("名称不可读：")
        lines.extend(f"  「{figure['name']}」应为「{item.get('name', '')}」" for figure, item in outcome.unreadable)
    if verbose and outcome.extra:
        lines.append("未计分的指标：")
        lines.extend(f"  {_figure_text(figure)}" for figure in outcome.extra)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = ChineseArgumentParser(prog="python -m kpi.evaluate", description="用人工读数集评估指标提取")
    parser.add_argument("file", type=Path, nargs="?", help="人工读数集（JSON：rows + expect）")
    parser.add_argument("--data-dir", type=Path, default=None, help="数据目录（复制一份临时导入，原目录不变）")
    parser.add_argument("--curation", type=Path, default=CURATION_DIR, help="人工整理 CSV 目录")
    parser.add_argument("--verbose", action="store_true", help="同时列出未计分的指标")
    args = parser.parse_args(argv)
    if args.file is None:
        parser.error("缺少必需的参数：file（人工读数集 JSON 文件）")
    try:
        outcome = evaluate(args.file, args.data_dir or data_dir(), args.curation)
    except EvaluationError as exc:
        print(f"评估失败：{exc}", file=sys.stderr)
        return 2
    print(report(outcome, args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
