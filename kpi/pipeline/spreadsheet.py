"""Reading an import file (.xlsx or .csv) into rows, and the problems found on the way.

Everything here is about the file: its encoding, its sheets, its header and the
row numbers Excel shows. What the rows mean is decided in ``kpi.pipeline.ingest``.

Hostile or broken files are refused early, in bounded memory, with a message naming
the limit (``LIMITS``): the file size; for a workbook the decompressed size of its parts
(read from the zip directory before anything is parsed) and their number; the rows
and columns (a workbook is read streaming, ``read_only``, and reading stops at the
limit); the characters in a cell. Formula cells are refused (their value would be
whatever Excel last cached, or nothing), so are NUL characters. Zero-width and
text-direction characters are removed from every cell (they make two names look the
same while differing); ``normalise_name`` also applies Unicode NFKC to names.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import polars as pl

DATA_SHEET = "目标完成情况"
INSTRUCTIONS_SHEET = "说明"
HEADER_SEARCH_ROWS = 10

# Limits of an import file (docs/deployment.md lists them). A year of a province's
# departments is a few thousand goals; the longest narrative of the seed is under 700 characters.
MAX_FILE_BYTES = 20 * 1024 * 1024  # as server.maxUploadSize
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # all parts of an .xlsx together, decompressed
MAX_ZIP_MEMBERS = 1000
MAX_ROWS = 20_000  # spreadsheet rows read, the header included
MAX_COLUMNS = 50
MAX_CELL_CHARS = 5_000
LIMITS = {
    "file": f"文件大小不超过 {MAX_FILE_BYTES // (1024 * 1024)} MB",
    "unpacked": f".xlsx 解压后不超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB",
    "members": f".xlsx 内部文件不超过 {MAX_ZIP_MEMBERS} 个",
    "rows": f"不超过 {MAX_ROWS:,} 行",
    "columns": f"不超过 {MAX_COLUMNS} 列",
    "cell": f"每个单元格不超过 {MAX_CELL_CHARS:,} 个字符",
}
# Invisible characters that make two names look alike: zero-width, word joiner, BOM, and the
# bidirectional controls (embeddings, overrides, isolates, marks).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u061c\u180e]")


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


def normalise_name(text: str) -> str:
    """A name as compared and stored: NFKC (full-width letters and digits to ASCII, compatibility
    forms to their base), invisible characters removed, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", strip_invisible(text)).split())


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # Chinese header, as in the template
    alias: str  # English alias
    required: bool
    # Headers departments' own sheets use for the same column (责任单位 for 部门, 进展情况 for 完成情况).
    synonyms: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("year", "年度", "year", True, ("年份",)),
    Column("department", "部门", "department", True, ("责任单位", "牵头单位", "责任部门", "牵头部门", "部门名称")),
    Column("period", "期间", "period", False, ("报告期", "报告期间", "统计期", "统计期间")),
    Column("seq", "序号", "seq", True, ("编号",)),
    Column(
        "title",
        "目标任务",
        "goal",
        True,
        ("年度目标", "年度目标任务", "工作目标", "主要目标", "主要目标任务", "目标内容", "工作任务", "重点任务"),
    ),
    Column("target", "目标值", "target", False, ("目标数值", "年度目标值")),
    Column(
        "result",
        "完成情况",
        "result",
        True,
        (
            "进展情况",
            "推进情况",
            "工作进展",
            "完成进度",
            "进度情况",
            "工作完成情况",
            "目标完成情况",
            "落实情况",
            "实施情况",
        ),
    ),
    Column("status", "状态", "status", False, ("完成状态", "进度状态")),
    Column("themes", "主题", "themes", False, ("主题分类",)),
)
HEADER_OF = {c.field: c.header for c in COLUMNS}
_HEADER_LOOKUP = {name.lower(): c.field for c in COLUMNS for name in (c.header, c.alias, *c.synonyms)}
assert len(_HEADER_LOOKUP) == sum(2 + len(c.synonyms) for c in COLUMNS), "a header names two columns"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file. ``row`` is the spreadsheet row (the header is row 1)."""

    row: int  # 0 for the file as a whole
    column: str  # Chinese column header, or "" when it is about the whole row or file
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else ""
        if self.column:
            where += f"「{self.column}」" if where else f"列「{self.column}」"
        return f"{where}：{self.message}" if where else self.message


def problem_order(problem: Problem) -> tuple[int, int]:
    columns = [c.header for c in COLUMNS]
    return problem.row, columns.index(problem.column) if problem.column in columns else len(columns)


class IngestError(Exception):
    """The file cannot be read at all; carries the problems (Chinese)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _file_problem(message: str) -> IngestError:
    return IngestError([Problem(0, "", message)])


def _decode_csv(content: bytes) -> tuple[str, str | None]:
    """Text of a CSV file and a note when it was not UTF-8.

    UTF-8 with or without BOM is read as is. Older Excel saves CSV as GBK; if
    the bytes are valid GB18030 (GBK's superset) they are read as such and the
    note says so. Anything else is refused.
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_problem(
            "文件是 UTF-16 编码（Excel「Unicode 文本」）。请在 Excel 中「另存为 → CSV UTF-8（逗号分隔）」后再导入。"
        )
    try:
        return content.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("gb18030")
    except UnicodeDecodeError:
        raise _file_problem(
            "无法识别文件编码：既不是 UTF-8，也不是 GBK。请在 Excel 中「另存为 → CSV UTF-8（逗号分隔）」后再导入。"
        ) from None
    return text, "文件是 GBK 编码（旧版 Excel 保存的 CSV），已按 GBK 读取。建议以后另存为「CSV UTF-8」。"


def _limited(rows: Iterator[list[str | None]]) -> list[list[str | None]]:
    """Take rows until a limit is passed (then refuse): rows, columns, characters, NUL."""
    taken: list[list[str | None]] = []
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS:
            raise _file_problem(f"文件超过 {MAX_ROWS:,} 行，未导入（限制：{LIMITS['rows']}）。请分成几个文件导入。")
        while row and not (row[-1] or "").strip():
            row = row[:-1]
        if len(row) > MAX_COLUMNS:
            raise _file_problem(f"第{number}行超过 {MAX_COLUMNS} 列，未导入（限制：{LIMITS['columns']}）。")
        cells: list[str | None] = []
        for index, cell in enumerate(row):
            if cell is not None:
                if len(cell) > MAX_CELL_CHARS:
                    raise IngestError(
                        [
                            Problem(
                                number,
                                "",
                                f"{column_letter(index)}列的单元格有 {len(cell):,} 个字符，未导入（限制：{LIMITS['cell']}）",
                            )
                        ]
                    )
                if "\x00" in cell:
                    raise IngestError(
                        [Problem(number, "", f"{column_letter(index)}列的单元格含有空字符（NUL），文件可能已损坏")]
                    )
                cell = strip_invisible(cell)
            cells.append(cell)
        taken.append(cells)
    return taken


def _csv_rows(content: bytes) -> tuple[list[list[str | None]], list[str]]:
    if content.startswith(b"PK\x03\x04"):
        raise _file_problem("文件扩展名是 .csv，内容却是 Excel 工作簿。请把扩展名改为 .xlsx 后再导入。")
    text, note = _decode_csv(content)
    # Comma as saved by Excel; tab or semicolon when another program or locale wrote the file.
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    delimiter = max((",", "\t", ";"), key=lambda d: max((_recognised(line.split(d)) for line in lines), default=0))
    csv.field_size_limit(MAX_CELL_CHARS * 4 + 16)  # a longer cell is refused below, not read whole
    try:
        rows = _limited(list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _file_problem(f"文件中有过长的单元格，未导入（限制：{LIMITS['cell']}）。") from None
        raise _file_problem(f"CSV 格式错误，无法读取：{exc}。请用 Excel 打开后另存为「CSV UTF-8」。") from None
    notes = [note] if note else []
    if note and not any(_recognised(r) >= 2 for r in rows[:HEADER_SEARCH_ROWS]):
        raise _file_problem(
            "文件不是 UTF-8 编码，按 GBK 读取后也找不到表头。请在 Excel 中「另存为 → CSV UTF-8（逗号分隔）」后再导入。"
        )
    return rows, notes


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 2023 as a number
    return str(value)


def _xlsx_rows(content: bytes) -> tuple[list[list[str | None]], list[str]]:
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_problem(
            "文件是旧版 .xls 格式或已设置打开密码。请在 Excel 中取消密码并「另存为 → Excel 工作簿（.xlsx）」。"
        )
    _check_zip(content)
    try:
        # openpyxl directly rather than pl.read_excel: Polars reads only the Excel table
        # when a sheet has one (rows typed below it would be lost) and trims leading blank
        # rows; here every cell is read and row numbers are the ones Excel shows.
        # read_only streams the sheet; data_only=False shows formulas as formulas.
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # zipfile, XML and openpyxl errors on a broken file
        raise _file_problem(f"无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式（{type(exc).__name__}）。") from None
    names = workbook.sheetnames
    candidates = [n for n in names if n != INSTRUCTIONS_SHEET]
    if DATA_SHEET in candidates:
        name = DATA_SHEET
    elif len(candidates) == 1:
        name = candidates[0]
    else:
        listed = "、".join(f"「{n}」" for n in names) or "无"
        raise _file_problem(
            f"找不到工作表「{DATA_SHEET}」（工作簿中的工作表：{listed}）。请把要导入的数据放在名为「{DATA_SHEET}」的工作表中。"
        )
    try:
        rows = _limited(_sheet_rows(workbook[name]))
    except IngestError:
        raise
    except Exception as exc:  # a damaged sheet part
        raise _file_problem(f"无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式（{type(exc).__name__}）。") from None
    finally:
        workbook.close()
    return rows, [f"读取工作表「{name}」。"]


def _check_zip(content: bytes) -> None:
    """Refuse a workbook whose parts would unpack beyond the limits, before parsing any of them."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _file_problem("无法读取 Excel 文件，文件可能已损坏或不是 .xlsx 格式（BadZipFile）。") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise _file_problem(f"Excel 文件内部有 {len(members):,} 个部分，未导入（限制：{LIMITS['members']}）。")
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise _file_problem(
            f"Excel 文件解压后有 {unpacked / (1024 * 1024):,.0f} MB（可能含大量重复行或超长单元格），"
            f"未导入（限制：{LIMITS['unpacked']}）。"
        )


def _sheet_rows(sheet) -> Iterator[list[str | None]]:
    """Cell texts row by row, with Excel's row numbers (blank rows kept); a formula is refused."""
    expected = 1
    for row in sheet.iter_rows(min_row=1, min_col=1, max_col=MAX_COLUMNS + 1):
        number = next((cell.row for cell in row if getattr(cell, "row", None)), expected)
        while expected < number:  # read_only mode skips empty rows
            yield []
            expected += 1
        cells: list[str | None] = []
        for index, cell in enumerate(row):
            if getattr(cell, "data_type", None) == "f":
                raise IngestError(
                    [
                        Problem(
                            number,
                            "",
                            f"{column_letter(index)}列的单元格是公式（{str(cell.value)[:40]}），不能导入："
                            "请复制后「选择性粘贴 → 数值」再上传",
                        )
                    ]
                )
            cells.append(_cell_text(cell.value))
        yield cells
        expected = number + 1


def _normalise_header(cell: str | None) -> str:
    return "".join((cell or "").split()).strip("*＊").lower()


def _recognised(cells: Sequence[str | None]) -> int:
    return sum(1 for c in cells if _HEADER_LOOKUP.get(_normalise_header(c)) is not None)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def clean(cell: str | None) -> str:
    return (cell or "").strip()


_LINE_BREAK = re.compile(r"(.)[ \t\u3000]*[\r\n]+[ \t\u3000]*(?=(.))")


def _join_pair(match: re.Match[str]) -> str:
    before, after = match.group(1), match.group(2)
    latin = before.isascii() and after.isascii() and before.isalnum() and after.isalnum()
    return before + (" " if latin else "")


def join_lines(text: str) -> str:
    """Remove line breaks typed inside a cell (the seed data has none); keep a space between Latin words."""
    return _LINE_BREAK.sub(_join_pair, text.strip())


@dataclass
class Table:
    header_row: int  # spreadsheet row number of the header
    columns: dict[str, int]  # field -> 0-based column index
    rows: list[tuple[int, list[str | None]]]  # (row number, cells)


def read_table(content: bytes, file_name: str) -> tuple[Table, list[str], list[Problem], list[Problem]]:
    """Locate the header and the data rows: (table, notes, warnings, problems).

    Raises IngestError when the file cannot be used at all.
    """
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xls":
        raise _file_problem("旧版 .xls 格式不受支持。请在 Excel 中「另存为 → Excel 工作簿（.xlsx）」后再导入。")
    if suffix not in (".xlsx", ".csv"):
        raise _file_problem(f"不支持的文件类型「{suffix or '无扩展名'}」：请使用 .xlsx 或 .csv（UTF-8）文件。")
    if len(content) > MAX_FILE_BYTES:
        raise _file_problem(f"文件有 {len(content) / (1024 * 1024):.1f} MB，未导入（限制：{LIMITS['file']}）。")
    if not content.strip():
        raise _file_problem("文件是空的。")
    cells, notes = _xlsx_rows(content) if suffix == ".xlsx" else _csv_rows(content)
    header_index = next(
        (i for i, row in enumerate(cells[:HEADER_SEARCH_ROWS]) if _recognised(row) >= 2),
        None,
    )
    if header_index is None:
        expected = "、".join(f"「{c.header}」" for c in COLUMNS)
        raise _file_problem(f"找不到表头：前{HEADER_SEARCH_ROWS}行中没有 {expected} 等列名。请使用模板中的表头。")
    header_row = header_index + 1
    problems: list[Problem] = []
    warnings: list[Problem] = []
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(cells[header_index]):
        key = _HEADER_LOOKUP.get(_normalise_header(cell))
        if key is None:
            if clean(cell):
                ignored.append(f"「{clean(cell)}」（{column_letter(index)}列）")
            continue
        if key in columns:
            first, again = clean(cells[header_index][columns[key]]), clean(cell)
            where = f"{column_letter(columns[key])}列和{column_letter(index)}列"
            said = (
                f"（{where}）"
                if first == again
                else f"（{column_letter(columns[key])}列「{first}」和{column_letter(index)}列「{again}」都是这一列）"
            )
            problems.append(Problem(header_row, HEADER_OF[key], f"此列出现了两次{said}，请删除其中一列"))
            continue
        columns[key] = index
    for column in COLUMNS:
        if column.required and column.field not in columns:
            problems.append(Problem(header_row, column.header, f"缺少必填列（英文列名 {column.alias}）"))
    if ignored:
        warnings.append(Problem(header_row, "", f"已忽略无法识别的列：{'、'.join(ignored)}"))
    width = len(cells[header_index])
    rows: list[tuple[int, list[str | None]]] = []
    for index in range(header_index + 1, len(cells)):
        row = cells[index]
        if not any(clean(c) for c in row):
            continue  # blank rows between or after the data are normal in Excel
        extra = [c for c in row[width:] if clean(c)]
        if extra:
            problems.append(
                Problem(
                    index + 1,
                    "",
                    f"单元格比表头多 {len(row) - width} 个，可能是文字中有未加引号的英文逗号；请用 Excel 另存为 CSV，或改用 .xlsx",
                )
            )
            continue
        rows.append((index + 1, row + [None] * (width - len(row))))
    if not rows and not problems:
        problems.append(Problem(0, "", "文件中没有数据行（只有表头）。"))
    return Table(header_row, columns, rows), notes, warnings, problems


def problems_frame(problems: Sequence[Problem]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "行号": [p.row or None for p in problems],
            "列": [p.column for p in problems],
            "问题": [p.message for p in problems],
        },
        schema={"行号": pl.Int64, "列": pl.String, "问题": pl.String},
    )
