"""The one way tests, the benchmark and the load scripts start the dashboard: ``python -m kpi.serve``,
as production does, on 127.0.0.1 and a free port, with its own log file.

``Server(script=…)`` runs another Streamlit script with plain ``streamlit run`` instead
(the benchmark's bare page; Community Cloud, which runs ``streamlit run app.py``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
# Loopback only, no browser, no file watcher, no usage statistics; the port is chosen free.
BASE_OPTIONS = (
    "--server.address", "127.0.0.1",
    "--server.headless", "true",
    "--server.fileWatcherType", "none",
    "--browser.gatherUsageStats", "false",
)  # fmt: skip


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A Streamlit server process; ``url`` includes ``--server.baseUrlPath`` when one is given.

    ``data_dir`` sets ``KPI_DATA_DIR`` (None: the caller's environment decides); ``env`` adds
    variables; ``args`` adds options of ``streamlit run``.
    """

    def __init__(
        self,
        *,
        script: Path | None = None,
        data_dir: Path | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        log: Path | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        args = list(args or [])
        base_path = next((a.split("=", 1)[1] for a in args if a.startswith("--server.baseUrlPath=")), "")
        self.url = f"http://127.0.0.1:{self.port}" + (f"/{base_path.strip('/')}" if base_path else "")
        launcher = ["-m", "kpi.serve"] if script is None else ["-m", "streamlit", "run", str(script)]
        command = [sys.executable, *launcher, *BASE_OPTIONS, "--server.port", str(self.port), *args]
        environment = {**os.environ, **(env or {})}
        if data_dir is not None:
            environment["KPI_DATA_DIR"] = str(data_dir)
        log_dir = Path(os.environ.get("TMPDIR", tempfile.gettempdir()))
        self.log_path = log or log_dir / f"kpi-streamlit-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Streamlit exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as response:
                    if response.read() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"Streamlit did not become healthy in {timeout_s} s; see {self.log_path}")

    def memory_mb(self) -> dict[str, float]:
        """Current (VmRSS) and peak (VmHWM) resident memory of the server process, in MB."""
        values = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
        return values

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def streamlit_server(
    env: dict[str, str] | None = None, args: list[str] | None = None, plain_streamlit: bool = False
) -> Iterator[str]:
    """The dashboard started and healthy (``plain_streamlit``: with ``streamlit run app.py``, as
    Community Cloud does); yields its URL and stops it afterwards."""
    with Server(script=APP if plain_streamlit else None, env=env, args=args) as server:
        server.wait_healthy()
        yield server.url
