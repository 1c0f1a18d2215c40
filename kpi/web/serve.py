"""Start the dashboard: ``python -m kpi.serve [options of streamlit run]``.

The same as ``streamlit run app.py``, except that Streamlit's legacy ``pages/``
mode is switched off before the server starts (see ``kpi.web.legacy_pages``): the
first visitor who opens a shared deep link would otherwise see a "Page not found"
dialog over the right page. It also removes what a crashed import left in the data
directory (``kpi.contract.storage.clean_up_at_start``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


# Click's messages for a wrong option of ``streamlit run``, in Chinese (the option named stays as typed).
_CLICK_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^No such option '?([^'.]*)'?\.?(.*)$", r"没有选项 \1\2"),
        (r"^Option '([^']*)' requires an argument\.$", r"选项 \1 需要一个值"),
        (
            r"^Invalid value for '([^']*)'(?: \(env var: '[^']*'\))?: (.*?) is not a valid (\w+)\.$",
            r"选项 \1 的值 \2 无效",
        ),
        (r"^Got unexpected extra arguments? \((.*)\)$", r"多余的参数：\1"),
    )
)


def _chinese(message: str) -> str:
    for pattern, replacement in _CLICK_MESSAGES:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def main(argv: Sequence[str] | None = None) -> int:
    import click
    from streamlit.web import cli

    from kpi.contract.schema import ContractError
    from kpi.contract.storage import clean_up_at_start, data_dir
    from kpi.web.legacy_pages import leave_legacy_mode

    try:
        data_dir()  # a malformed s3:// address is said here, not on every page
    except ContractError as error:
        print(f"错误：KPI_DATA_DIR：{error}", file=sys.stderr)
        return 2
    leave_legacy_mode()
    clean_up_at_start()  # staging directories and links a crashed import left
    options = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["streamlit", "run", str(APP), *options]
    try:
        cli.main(prog_name="python -m kpi.serve", standalone_mode=False)
    except click.UsageError as error:
        print(f"错误：{_chinese(error.format_message())}", file=sys.stderr)
        print("可用选项与 streamlit run 相同，见 python -m kpi.serve --help", file=sys.stderr)
        return 2
    except click.Abort:
        print("已中断。", file=sys.stderr)
        return 130
    return 0
