"""``python -m kpi.store``: move a dataset between a local data directory and a bucket.

``copy SRC DEST`` reads the version in force at ``SRC`` (validated, as the dashboard reads
it) and publishes it at ``DEST`` as a new version, with the same steps as an import there
(``kpi.contract.storage.publish_version``: tables, then the pointer; one writer at a time).
Either side may be a directory or ``s3://bucket/prefix``; the bucket's endpoint and
credentials come from the environment (``kpi.contract.bucket``). What ``DEST`` held stays
its history. Exit codes: 0 copied (or already the same), 2 bad arguments, no data at ``SRC``
or a store that cannot be reached (nothing written), 1 another writer at ``DEST``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from kpi.contract.bucket import StoreError
from kpi.contract.schema import ContractError
from kpi.contract.storage import (
    WriterBusyError,
    command_location,
    current_version_id,
    publish_version,
    read_dataset,
)
from kpi.pipeline.cli import ChineseArgumentParser


def copy(source: str, destination: str) -> str:
    """Copy the current version of ``source`` to ``destination``; the report line in Chinese."""
    src, dest = command_location(source), command_location(destination)
    if str(src) == str(dest):
        raise ContractError("源和目标是同一个数据目录")
    version = current_version_id(src)
    dataset = read_dataset(src)
    published = publish_version(dest, dataset=dataset)
    counts = {name: frame.height for name, frame in dataset.tables().items()}
    what = (
        f"部门 {counts['departments']} 个，目标 {counts['goals']} 条，指标 {counts['indicators']} 条，"
        f"目标值 {counts['goal_targets']} 个"
    )
    origin = f"{src} 的版本 {version}" if version else str(src)
    if published.version == published.previous:
        return f"{dest} 的当前版本 {published.version} 已与 {origin} 相同，未写入（{what}）。"
    return f"已将 {origin} 复制为 {dest} 的版本 {published.version}（{what}）。"


def main(argv: Sequence[str] | None = None) -> int:
    parser = ChineseArgumentParser(
        prog="python -m kpi.store",
        description="在本地数据目录与对象存储（s3://存储桶/前缀）之间复制数据集的当前版本",
    )
    commands = parser.add_subparsers(dest="command", metavar="命令", parser_class=ChineseArgumentParser)
    copying = commands.add_parser("copy", help="复制 SRC 的当前版本到 DEST，作为 DEST 的新版本")
    copying.add_argument("source", metavar="SRC", help="源：数据目录或 s3://存储桶/前缀")
    copying.add_argument("destination", metavar="DEST", help="目标：数据目录或 s3://存储桶/前缀")
    args = parser.parse_args(argv)
    if args.command != "copy":
        parser.print_usage(sys.stderr)
        print("错误：请指定命令，例如：python -m kpi.store copy data s3://kpi-data/huzhou", file=sys.stderr)
        return 2
    try:
        print(copy(args.source, args.destination))
    except WriterBusyError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"复制失败，未写入任何数据：{exc}", file=sys.stderr)
        return 2
    except ContractError as exc:
        print(f"复制失败，未写入任何数据：{exc}", file=sys.stderr)
        return 2
    return 0
