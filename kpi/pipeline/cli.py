"""What every ``python -m kpi.…`` command shares: Chinese help and errors, and no tracebacks.

argparse writes its own messages in English ("usage:", "error: unrecognized
arguments"); ``ChineseArgumentParser`` says the same in Chinese. ``run_command``
turns what a command did not handle itself (Ctrl-C, a full disk, a file it may
not read) into one Chinese line and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import re
import sys
from collections.abc import Callable

# argparse's English messages (Python 3.11–3.13 wording) and how to say them.
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^unrecognized arguments: (.*)$", r"无法识别的参数：\1"),
        (r"^the following arguments are required: (.*)$", r"缺少必需的参数：\1"),
        (r"^argument (.*?): expected one argument$", r"参数 \1 需要一个值"),
        (r"^argument (.*?): expected at least one argument$", r"参数 \1 至少需要一个值"),
        (r"^argument (.*?): invalid (\w+) value: (.*)$", r"参数 \1 的值 \3 无效"),
        (r"^argument (.*?): invalid choice: (.*?) \(choose from (.*)\)$", r"参数 \1 的值 \2 无效，可选：\3"),
        (r"^argument (.*?): not allowed with argument (.*)$", r"参数 \1 不能与 \2 同时使用"),
        (r"^argument (.*?): ignored explicit argument (.*)$", r"参数 \1 不接受值 \2"),
        (r"^ambiguous option: (.*?) could match (.*)$", r"选项 \1 不明确，可能是：\2"),
    )
)
_HEADINGS = (("usage: ", "用法："), ("options:", "选项："), ("positional arguments:", "位置参数："))

# Operating-system errors a command may meet while reading or writing, in words.
OS_ERRORS: dict[int, str] = {
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "文件系统为只读",
    errno.ENOENT: "找不到文件或目录",
    errno.ENOTDIR: "路径中有一部分不是目录",
    errno.EISDIR: "应为文件，实际是目录",
}


def translate(message: str) -> str:
    for pattern, replacement in _MESSAGES:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def os_reason(error: OSError) -> str:
    return OS_ERRORS.get(error.errno or 0, error.strerror or type(error).__name__)


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with Chinese headings, help option and error messages; exit code 2 on a usage error."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", help="显示此帮助并退出")

    def _localise(self, text: str) -> str:
        for english, chinese in _HEADINGS:
            text = text.replace(english, chinese)
        return text

    def format_usage(self) -> str:
        return self._localise(super().format_usage())

    def format_help(self) -> str:
        return self._localise(super().format_help())

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"错误：{translate(message)}\n")


def run_command(main: Callable[[], int | None]) -> None:
    """Run a command's ``main`` and exit with its code; unhandled errors become one Chinese line."""
    try:
        code = main()
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        code = 130
    except OSError as error:
        where = f"（{error.filename}）" if error.filename else ""
        print(f"错误：{os_reason(error)}{where}。", file=sys.stderr)
        code = 1
    sys.exit(code or 0)
