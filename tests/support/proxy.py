"""Debian's nginx in front of the dashboard, with deploy/nginx-kpi-dashboard.conf as shipped.

nginx runs in the foreground on a free 127.0.0.1 port; its pid, logs and temporary files live
in a directory of the caller's (a test's tmp_path). The access log names the replica that
answered each request (``upstream=``) and the browser's replica cookie (``replica=``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.server import ROOT, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = ROOT / "deploy" / "nginx-kpi-dashboard.conf"
BASE_PATH = "dashboard"
ACCESS_LOG_FORMAT = (
    '$remote_addr [$time_local] "$request" $status $body_bytes_sent upstream=$upstream_addr replica=$cookie_kpi_replica'
)


def render_site(replicas: Sequence[str], listen: int) -> str:
    """The shipped template with its placeholders filled in, as docs/deployment.md's command
    does: the ``server {{REPLICA}}`` line once per replica."""
    lines = []
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("server {{REPLICA}}"):
            lines.extend(line.replace("{{REPLICA}}", replica) for replica in replicas)
        else:
            lines.append(line)
    site = "\n".join(lines) + "\n"
    for name, value in {"LISTEN": f"127.0.0.1:{listen}", "SERVER_NAME": "127.0.0.1", "BASE_PATH": BASE_PATH}.items():
        site = site.replace("{{" + name + "}}", value)
    assert not [line for line in site.splitlines() if "{{" in line and not line.lstrip().startswith("#")]
    return site


def nginx_conf(directory: Path, site: Path) -> str:
    # As root (CI) workers would otherwise switch to "nobody" and could not write the temp paths.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {directory / 'nginx.pid'};\nerror_log {directory / 'error.log'} info;\n"
        f"events {{ worker_connections 1024; }}\n"
        f"http {{\n    log_format kpi '{ACCESS_LOG_FORMAT}';\n"
        f"    access_log {directory / 'access.log'} kpi;\n{temp}\n    include {site};\n}}\n"
    )


def nginx_command(directory: Path) -> list[str]:
    return [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(directory / "error.log")]


@contextmanager
def nginx(directory: Path, replicas: Sequence[str]) -> Iterator[str]:
    """Start nginx in front of ``replicas`` (host:port each); yield its base URL; stop it."""
    port = free_port()
    site = directory / "kpi-dashboard.conf"
    site.write_text(render_site(replicas, port), encoding="utf-8")
    (directory / "nginx.conf").write_text(nginx_conf(directory, site), encoding="utf-8")
    command = nginx_command(directory)
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/{BASE_PATH}/_stcore/health", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((directory / "error.log").read_text(errors="replace")) from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()  # SIGTERM: fast shutdown of master and worker
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
