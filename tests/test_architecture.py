"""The three parts stay apart: the contract imports neither other part, the pipeline never
imports the web app or Streamlit, and only the web app imports Streamlit."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# part → module prefixes it must not import
FORBIDDEN = {
    "kpi/contract": ("kpi.pipeline", "kpi.web", "streamlit"),
    "kpi/pipeline": ("kpi.web", "streamlit"),
    "kpi": ("streamlit",),  # the command entry points (python -m kpi.…) and anything outside the web app
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, also those inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def violations(root: Path) -> list[str]:
    problems = []
    for path in sorted((root / "kpi").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("kpi/web/"):
            continue
        part = next(p for p in FORBIDDEN if relative.startswith(p + "/"))
        for line, module in imported_modules(path):
            if any(module == banned or module.startswith(banned + ".") for banned in FORBIDDEN[part]):
                problems.append(f"{relative}:{line} imports {module}")
    return sorted(set(problems))


def test_the_parts_import_only_what_they_may() -> None:
    assert violations(ROOT) == []


def test_a_pipeline_module_importing_streamlit_is_caught(tmp_path: Path) -> None:
    (tmp_path / "kpi" / "pipeline").mkdir(parents=True)
    (tmp_path / "kpi" / "contract").mkdir()
    (tmp_path / "kpi" / "pipeline" / "clean.py").write_text("import polars as pl\n")
    (tmp_path / "kpi" / "pipeline" / "leaky.py").write_text("def f():\n    import streamlit as st\n")
    (tmp_path / "kpi" / "contract" / "schema.py").write_text("from kpi.web.i18n import t\n")
    assert violations(tmp_path) == [
        "kpi/contract/schema.py:1 imports kpi.web.i18n",
        "kpi/contract/schema.py:1 imports kpi.web.i18n.t",
        "kpi/pipeline/leaky.py:2 imports streamlit",
    ]


def test_a_viewers_page_does_not_load_the_import_pipeline_or_excel() -> None:
    """Every server start and first page pays for what the shell and the pages import: the import
    pipeline (openpyxl) is the 数据管理 page's, an Excel writer a download's, loaded when used."""
    probe = (
        "import sys\n"
        "import kpi.web.shell, kpi.web.components, kpi.web.brief, kpi.web.exports, kpi.web.wall\n"
        "print(' '.join(sorted(m for m in ('openpyxl', 'xlsxwriter', 'fastexcel', 'kpi.pipeline.ingest') "
        "if m in sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True, timeout=120
    ).stdout.split()
    assert loaded == []
