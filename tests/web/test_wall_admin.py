"""Wall tokens made on the 数据管理 page (issue 15): created there and shown once as the wall's
link, accepted by /wall, listed without the token, revoked without a restart; the file holds
only digests, is written under a lock, and an unreadable one admits none of its tokens."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract.storage import read_dataset, write_dataset
from kpi.web import admin, auth, wall_tokens
from kpi.web.admin import TEXT
from kpi.web.i18n import t
from tests.support.apptest import APP, ROOT
from tests.support.datasets import XSS_IMG

ADMIN_PAGE = ROOT / "pages" / "admin_page.py"
ADMIN_PASSWORD = "Huzhou-管理-2023"
VIEWER_PASSWORD = "湖州-Viewer-2023"
PUBLIC_URL = "https://example.gov.cn/dashboard"
CONFIGURED_TOKEN = "wall-配置-0123456789abcdefghijklmnopqrstuvwxyz"
LINK_RE = re.compile(r"^https://example\.gov\.cn/dashboard/wall\?token=([A-Za-z0-9_-]+)$")


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A viewer and an admin password, the token file in tmp_path, no secrets.toml, fresh throttles."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(auth.WALL_TOKENS_ENV, raising=False)
    monkeypatch.setenv(auth.VIEWER_PASSWORD_ENV, VIEWER_PASSWORD)
    monkeypatch.setenv(admin.PASSWORD_ENV, ADMIN_PASSWORD)
    monkeypatch.setenv("KPI_PUBLIC_URL", PUBLIC_URL)
    path = tmp_path / "settings" / "wall_tokens.json"
    monkeypatch.setenv(wall_tokens.TOKEN_FILE_ENV, str(path))
    auth.WALL_THROTTLE.reset()
    admin.throttle().reset()
    yield path
    auth.WALL_THROTTLE.reset()
    admin.throttle().reset()


def admin_page() -> AppTest:
    at = AppTest.from_file(str(ADMIN_PAGE), default_timeout=60).run()
    at.text_input[0].input(ADMIN_PASSWORD)
    at.form_submit_button[0].click().run()
    assert not at.exception
    return at


def submit(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.form_submit_button if b.label == label]
    return button.click().run()


def create(at: AppTest, name: str) -> str:
    """Create a token named ``name`` on the page; the token, read from the link it shows."""
    [box] = [b for b in at.text_input if b.label == TEXT["walls_name"]]
    box.input(name)
    submit(at, TEXT["walls_create"])
    assert not at.exception
    links = [LINK_RE.match(c.value) for c in at.code]
    [found] = [m for m in links if m]
    return found.group(1)


def revoke(at: AppTest, name: str) -> AppTest:
    """Pick the token named ``name`` (its label: name · id · created) and revoke it."""
    [picker] = [s for s in at.selectbox if s.label == TEXT["walls_pick"]]
    [label] = [o for o in picker.options if o.startswith(name + " · ")]
    picker.set_value(label.split(" · ")[1])
    return submit(at, TEXT["walls_revoke"])


def listed(at: AppTest) -> list[str]:
    frames = [d.value for d in at.dataframe if TEXT["walls_col_name"] in d.value.columns]
    return frames[0][TEXT["walls_col_name"]].to_list() if frames else []


def unescaped(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def everything(at: AppTest) -> str:
    """Every element of the page as sent to the browser (protobuf text, tables' Arrow bytes too)."""
    found = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            found.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(found)


def open_wall(token: str) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.query_params[auth.WALL_TOKEN_PARAM] = token
    app.run()
    app.switch_page("pages/wall_page.py").run()
    assert not app.exception
    return app


def on_wall(app: AppTest) -> bool:
    return any(b.value.startswith('<div class="kpi-wall"') for b in app.get("html"))


def refused(app: AppTest) -> bool:
    login = any(box.key == "viewer_password" for box in app.text_input)
    return not on_wall(app) and login and any(t("wall_token_refused") in e.value for e in app.error)


# --- create, use, list, revoke --------------------------------------------------------------------


def test_a_token_made_on_the_admin_page_opens_the_wall_and_is_shown_only_once(settings: Path) -> None:
    at = admin_page()
    token = create(at, "三楼会议室")
    assert len(token) >= 32
    assert any("三楼会议室" in s.value for s in at.success)
    # Only the digest is on disk.
    stored = settings.read_text(encoding="utf-8")
    assert token not in stored and hashlib.sha256(token.encode()).hexdigest() in stored
    assert settings.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in settings.parent.iterdir()) == [".wall_tokens.json.lock", "wall_tokens.json"]

    wall = open_wall(token)
    assert on_wall(wall)
    at.run()  # the admin page's next run: the list, never the token
    assert listed(at) == ["三楼会议室"]
    assert token not in everything(at)
    used = at.dataframe[0].value[TEXT["walls_col_used"]].to_list()
    assert used != [TEXT["walls_never_used"]]  # the wall's run above was recorded
    # The token opens no other page.
    wall.switch_page("pages/overview_page.py").run()
    assert not on_wall(wall) and any(box.key == "viewer_password" for box in wall.text_input)


def test_revoking_refuses_the_token_on_the_walls_next_run_and_keeps_the_others(settings: Path) -> None:
    at = admin_page()
    hall = create(at, "大厅")
    room = create(at, "三楼会议室")
    assert hall != room
    hall_wall, room_wall = open_wall(hall), open_wall(room)
    assert on_wall(hall_wall) and on_wall(room_wall)
    at.run()
    revoke(at, "大厅")
    assert not at.exception
    assert any("大厅" in s.value for s in at.success)
    assert listed(at) == ["三楼会议室"]
    hall_wall.run()  # the wall's next tick, same session, no restart
    assert refused(hall_wall)
    room_wall.run()
    assert on_wall(room_wall)
    assert refused(open_wall(hall))


def test_configured_tokens_keep_working_beside_the_pages_tokens(settings: Path, monkeypatch) -> None:
    monkeypatch.setenv(auth.WALL_TOKENS_ENV, CONFIGURED_TOKEN)
    at = admin_page()
    assert any(TEXT["walls_config"].format(n=1) == c.value for c in at.caption)
    made = create(at, "大厅")
    assert on_wall(open_wall(CONFIGURED_TOKEN)) and on_wall(open_wall(made))
    assert CONFIGURED_TOKEN not in settings.read_text(encoding="utf-8")


def test_a_name_is_required_unique_and_limited_in_length() -> None:
    at = admin_page()
    for name, message in (
        ("  \u200b ", "请填写大屏名称"),
        ("长" * (wall_tokens.NAME_MAX_CHARS + 1), f"不超过 {wall_tokens.NAME_MAX_CHARS} 个字"),
    ):
        [box] = [b for b in at.text_input if b.label == TEXT["walls_name"]]
        box.input(name)
        submit(at, TEXT["walls_create"])
        assert any(message in e.value for e in at.error), name
        assert not [c for c in at.code if "token=" in c.value]
    create(at, "Lobby")
    [box] = [b for b in at.text_input if b.label == TEXT["walls_name"]]
    box.input("lobby")
    submit(at, TEXT["walls_create"])
    assert any("已有名为「lobby」" in e.value for e in at.error)
    assert listed(at) == ["Lobby"]


HOSTILE_NAMES = [
    XSS_IMG,
    "**粗体** [点我](javascript:alert(1)) `code` $x$ :material/warning:",
    "会议室\u202e\u200b\x00\x1b[31m",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_kept_as_text_and_shown_as_text(name: str, settings: Path) -> None:
    at = admin_page()
    token = create(at, name)
    kept = json.loads(settings.read_text(encoding="utf-8"))["tokens"][0]["name"]
    assert not re.search(r"[\x00-\x1f\u200b\u202e]", kept)  # control and invisible characters dropped
    assert kept == " ".join(kept.split()) and kept
    # Shown as typed (minus those): in the success message every Markdown character is escaped.
    [message] = [s.value for s in at.success if "创建大屏令牌" in s.value]
    assert unescaped(message).startswith(f"已为「{kept}」")
    assert not re.search(r"(?<!\\)[<*`\[$]", message.split("」")[0])
    at.run()
    assert listed(at) == [kept]
    assert token not in everything(at)
    assert on_wall(open_wall(token))


# --- the file -------------------------------------------------------------------------------------


def make_token(settings: Path) -> str:
    _, token = wall_tokens.create("会议室", settings)
    return token


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"\xff\xfe\x00",
        b"[]",
        b'{"format": 2, "tokens": []}',
        b'{"format": 1, "tokens": {}}',
        b'{"format": 1, "tokens": [{"id": "0123456789abcdef", "name": "x", "created": "2026-01-01T00:00:00"}]}',
        b'{"format": 1, "tokens": [{"id": "../etc", "name": "x", "created": "2026-01-01T00:00:00", "sha256": "00"}]}',
        "truncated",
    ],
)
def test_a_damaged_token_file_admits_none_of_its_tokens_and_the_page_says_so(content, settings: Path) -> None:
    token = make_token(settings)
    assert on_wall(open_wall(token))
    good = settings.read_bytes()
    settings.write_bytes(good[: len(good) // 2] if content == "truncated" else content)
    assert refused(open_wall(token))  # fail closed
    at = AppTest.from_file(str(ADMIN_PAGE), default_timeout=60).run()
    at.text_input[0].input(ADMIN_PASSWORD)
    at.form_submit_button[0].click().run()
    assert not at.exception
    assert any("大屏令牌文件 wall_tokens.json 无法使用" in unescaped(e.value) for e in at.error)
    assert not [b for b in at.text_input if b.label == TEXT["walls_name"]]  # nothing written over it
    damaged = settings.read_bytes()
    # The way out: remove the file (every token of the page revoked), then create anew.
    submit(at, TEXT["walls_reset"])
    assert not settings.exists() and any(TEXT["walls_reset_done"] in s.value for s in at.success)
    assert damaged != good and refused(open_wall(token))
    fresh = create(at, "大厅")
    assert on_wall(open_wall(fresh))


def test_a_directory_in_place_of_the_file_is_a_message_not_a_traceback(settings: Path) -> None:
    settings.mkdir(parents=True)
    assert refused(open_wall("x" * 43))
    at = admin_page()
    assert any("无法使用" in e.value for e in at.error)


def test_the_token_file_defaults_to_the_data_directory_outside_every_version(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(wall_tokens.TOKEN_FILE_ENV)
    data = tmp_path / "data"
    write_dataset(read_dataset(ROOT / "data"), data)
    monkeypatch.setenv("KPI_DATA_DIR", str(data))
    assert wall_tokens.token_file() == data.resolve() / "wall_tokens.json"
    token = create(admin_page(), "大厅")
    assert (data / "wall_tokens.json").is_file()
    assert on_wall(open_wall(token))


def test_with_the_data_in_a_bucket_the_token_file_must_be_named(settings: Path, bucket_dir, monkeypatch) -> None:
    """A bucket holds data versions, not the tokens: without KPI_WALL_TOKEN_FILE the admin page
    says so in Chinese and the wall accepts no page-made token (and shows no traceback)."""
    from kpi.contract import storage

    storage.publish_version(bucket_dir, dataset=read_dataset(ROOT / "data"))
    monkeypatch.setenv("KPI_DATA_DIR", str(bucket_dir))
    monkeypatch.delenv(wall_tokens.TOKEN_FILE_ENV)
    with pytest.raises(wall_tokens.TokenFileError, match=wall_tokens.TOKEN_FILE_ENV):
        wall_tokens.token_file()
    assert refused(open_wall("y" * 43))
    at = admin_page()
    assert not at.exception
    assert any("对象存储" in e.value for e in at.error), [e.value for e in at.error]
    assert all(b.label != TEXT["walls_reset"] for b in at.button)


def test_a_second_writer_waits_for_the_lock_then_gets_a_chinese_message(settings: Path, monkeypatch) -> None:
    make_token(settings)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); fcntl.flock(fd, fcntl.LOCK_EX);"
            " print('held', flush=True); sys.stdin.read()",
            str(settings.with_name(".wall_tokens.json.lock")),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(wall_tokens, "LOCK_TIMEOUT_S", 0.3)
        before = settings.read_bytes()
        with pytest.raises(wall_tokens.TokenFileError, match="另一位管理员正在修改大屏令牌"):
            wall_tokens.create("大厅", settings)
        assert settings.read_bytes() == before
    finally:
        holder.communicate("")
    wall_tokens.create("大厅", settings)  # free again
    assert [t.name for t in wall_tokens.load(settings)] == ["会议室", "大厅"]


def test_two_processes_creating_at_once_lose_no_token(settings: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from kpi.web import wall_tokens\n"
        "for i in range(15): wall_tokens.create(f'{sys.argv[1]}-{i}', Path(sys.argv[2]))\n"
    )
    workers = [subprocess.Popen([sys.executable, "-c", script, who, str(settings)], cwd=ROOT) for who in ("甲", "乙")]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    names = sorted(t.name for t in wall_tokens.load(settings))
    assert names == sorted(f"{who}-{i}" for who in ("甲", "乙") for i in range(15))
    assert not [p for p in settings.parent.iterdir() if p.name.endswith(".tmp")]


def test_hostile_wall_tokens_never_match_a_stored_one(settings: Path) -> None:
    token = make_token(settings)
    digest = hashlib.sha256(token.encode()).hexdigest()
    for candidate in (digest, token[:-1], token + "=", token.upper(), "", "\udcff" * 40, None, 42, [token]):
        assert not auth.wall_token_matches(candidate), candidate
    assert auth.wall_token_matches(token)
