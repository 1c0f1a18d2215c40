"""Replicas: a process notices a version published by another one, and clears its caches once.

Real DuckDB on real Parquet versions written by ``kpi.contract.storage``; the sessions are
threads (as Streamlit's script runs are) or AppTest runs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpi.contract.schema import Dataset
from kpi.contract.storage import read_dataset, write_dataset
from kpi.web import queries


def without_first_department(data: Dataset) -> Dataset:
    dropped = data.departments["dept_id"][0]
    goals = data.goals.filter(pl.col("dept_id") != dropped)
    return replace(
        data,
        departments=data.departments.filter(pl.col("dept_id") != dropped),
        goals=goals,
        indicators=data.indicators.filter(pl.col("dept_id") != dropped),
        goal_targets=data.goal_targets.filter(pl.col("goal_id").is_in(goals.get_column("goal_id").implode())),
    )


@pytest.fixture
def published(seed_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Dataset]:
    seed = read_dataset(seed_files)
    write_dataset(seed, tmp_path)
    monkeypatch.setenv("KPI_DATA_DIR", str(tmp_path))
    return tmp_path, seed


def test_sessions_that_notice_a_new_version_together_clear_the_caches_once(
    published: tuple[Path, Dataset],
) -> None:
    directory, seed = published
    assert queries.data_problems() == []
    old_key = queries.data_version()
    assert queries.departments().height == seed.departments.height
    clears = queries.cache_clears

    smaller = without_first_department(seed)
    write_dataset(smaller, directory)  # as another replica's import does

    sessions = 8
    start = threading.Barrier(sessions)
    problems: list[list[str]] = []

    def page_run() -> None:
        start.wait()
        problems.append(queries.data_problems())

    threads = [threading.Thread(target=page_run) for _ in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert problems == [[]] * sessions
    assert queries.cache_clears == clears + 1
    assert queries.data_version() != old_key
    assert queries.departments().height == smaller.departments.height
    # The old version's entry is gone: asked for under its old key, the department list is
    # computed again (from the version in force) instead of answered from memory.
    assert queries._departments(old_key).height == smaller.departments.height

    # Further runs on the same version clear nothing; the next publication clears once more.
    for _ in range(3):
        assert queries.data_problems() == []
    assert queries.cache_clears == clears + 1
    write_dataset(seed, directory)
    assert queries.data_problems() == []
    assert queries.cache_clears == clears + 2
    assert queries.departments().height == seed.departments.height


def test_a_run_that_resolved_before_a_publication_does_not_move_the_process_back(
    published: tuple[Path, Dataset],
) -> None:
    directory, seed = published
    queries.data_problems()
    old_key = queries.data_version()
    old = queries._seen_versions[str(directory)]
    write_dataset(without_first_department(seed), directory)
    queries.data_problems()
    clears, new_key = queries.cache_clears, queries.data_version()
    # A slower run that resolved ``current`` before the publication reports what it saw:
    # it is handed the version now in force, and nothing is cleared again.
    assert queries._note_version(str(directory), old) != old
    assert queries.data_version() == new_key != old_key
    assert queries.cache_clears == clears


def _idle_page() -> None:
    """First run: a page run (resolves the version). Later runs: only the poll, as the
    fragment's timed runs do."""
    import streamlit as st

    from kpi.web import queries

    if "ran" not in st.session_state:
        st.session_state["ran"] = True
        st.session_state["problems"] = queries.data_problems()
    st.session_state.setdefault("polls", []).append(queries.newer_version_published())


def test_an_idle_session_notices_a_version_published_elsewhere(published: tuple[Path, Dataset]) -> None:
    directory, seed = published
    app = AppTest.from_function(_idle_page, default_timeout=60).run()
    assert app.session_state["problems"] == []
    app.run()
    assert app.session_state["polls"] == [False, False]
    write_dataset(without_first_department(seed), directory)
    time.sleep(queries._POLL_REUSE_SECONDS + 0.1)  # the process-wide read is reused for a second
    app.run()
    assert app.session_state["polls"][-1] is True
    assert not app.exception
