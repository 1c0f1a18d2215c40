"""Every ``python -m kpi.…`` command answers a wrong command line in Chinese, with exit code 2
and no traceback, the way staff see it in a terminal (real subprocesses)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = sorted(p.stem for p in (ROOT / "kpi").glob("*.py") if p.stem != "__init__")
ENGLISH = re.compile(r"Traceback|usage:|error:|Error:|unrecognized|required|invalid", re.I)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_every_command_is_listed() -> None:
    assert COMMANDS == ["brief", "build", "evaluate", "ingest", "serve", "store", "synth", "template"]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_is_refused_in_chinese(command: str) -> None:
    result = run(f"kpi.{command}", "--no-such-option")
    assert result.returncode == 2, result.stderr
    assert "错误：" in result.stderr and "--no-such-option" in result.stderr
    assert not ENGLISH.search(result.stderr), result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("kpi.build", "--out"), "参数 --out 需要一个值"),
        (("kpi.ingest", "a.xlsx", "b.xlsx"), "无法识别的参数：b.xlsx"),
        (("kpi.serve", "--server.port", "abc"), "选项 --server.port 的值 'abc' 无效"),
        (("kpi.synth", "--out", "输出目录", "--departments", "many", "--years", "1"), "应为整数"),
    ],
)
def test_a_bad_value_is_named_in_chinese(args: tuple[str, ...], expected: str) -> None:
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert not ENGLISH.search(result.stderr), result.stderr


def test_help_is_in_chinese() -> None:
    result = run("kpi.ingest", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("用法：python -m kpi.ingest")
    assert "选项：" in result.stdout and "显示此帮助并退出" in result.stdout


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    result = run("kpi.ingest", str(tmp_path / "无此文件.xlsx"), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "找不到文件" in result.stderr and "无此文件.xlsx" in result.stderr
    assert "Traceback" not in result.stderr
