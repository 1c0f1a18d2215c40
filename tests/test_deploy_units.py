"""The systemd units in deploy/ are valid, as systemd itself reads them (``systemd-analyze verify``),
for two replicas of the template unit and their health checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import ROOT

DEPLOY = ROOT / "deploy"
CHECKOUT = "/srv/kpi-dashboard"


def test_two_replicas_and_their_health_checks_are_valid_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in (*DEPLOY.glob("*.service"), *DEPLOY.glob("*.timer"), *DEPLOY.glob("*.target")):
        # The checkout's interpreter stands in for the one under /srv (not on this machine).
        text = unit.read_text(encoding="utf-8").replace(f"{CHECKOUT}/.venv/bin/python", sys.executable)
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    instances = []
    for port in (8501, 8502):
        for template in ("kpi-dashboard@.service", "kpi-dashboard-health@.service", "kpi-dashboard-health@.timer"):
            instance = tmp_path / template.replace("@.", f"@{port}.")
            instance.symlink_to(template)
            instances.append(str(instance))
    result = subprocess.run(
        [analyze, "verify", "--man=no", *instances, str(tmp_path / "kpi-dashboard.target")],
        capture_output=True,
        text=True,
        env={"SYSTEMD_LOG_LEVEL": "notice", "PATH": "/usr/bin:/bin"},
    )
    # Only what /srv would provide may be missing: the working directory of the checkout.
    problems = [line for line in result.stderr.splitlines() if line.strip() and CHECKOUT not in line]
    assert problems == [], result.stderr
    # The port is the instance: each replica listens where nginx's upstream expects it.
    unit = (DEPLOY / "kpi-dashboard@.service").read_text(encoding="utf-8")
    assert "--server.port=%i" in unit and "--server.baseUrlPath=dashboard" in unit
    health = (DEPLOY / "kpi-dashboard-health@.service").read_text(encoding="utf-8")
    assert "http://127.0.0.1:%i/dashboard/_stcore/health" in health
