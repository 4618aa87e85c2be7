"""A real `footnote serve` process on 127.0.0.1 and a bounded load against it, for the benchmark.

The server is a subprocess started as users start it; the load comes from threads, each
with its own keep-alive connection, and stops after a fixed number of requests. Nothing
is sent anywhere but the loopback address.

    with Server(env={"FOOTNOTE_INDEX_DIR": "..."}) as server:
        server.wait_ready("hybrid")
        result = run_load(server.port, bodies, concurrency=8, requests=200)
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status_kb(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (uvicorn's workers are children of the main process)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(c) for c in children)
    return found


def memory(pid: int) -> dict[str, float]:
    """Peak and current resident memory of a process tree, in MB; PSS shares pages fairly."""
    pids = process_tree(pid)
    mb = 1024.0
    return {
        "processes": len(pids),
        "peak_rss_mb": round(sum(_status_kb(p, "VmHWM") for p in pids) / mb, 1),
        "rss_mb": round(sum(_status_kb(p, "VmRSS") for p in pids) / mb, 1),
        "pss_mb": round(sum(_pss_kb(p) for p in pids) / mb, 1),
        "max_process_peak_rss_mb": round(max(_status_kb(p, "VmHWM") for p in pids) / mb, 1),
    }


@dataclass
class Server:
    """`footnote serve` on a free port of 127.0.0.1, with `env` added to this environment."""

    env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    log: Path | None = None
    port: int = field(default_factory=free_port)
    started: float = 0.0
    process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        environment = {**os.environ, "HF_HUB_OFFLINE": "1", **self.env}
        command = [sys.executable, "-m", "footnote.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(self.workers)]
        out = self.log.open("wb") if self.log else subprocess.DEVNULL
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, env=environment, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def readyz(self) -> dict[str, Any] | None:
        """The /readyz body when it answers 200, else None."""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            connection.request("GET", "/readyz")
            response = connection.getresponse()
            body = response.read()
            connection.close()
        except OSError:
            return None
        return json.loads(body) if response.status == 200 else None

    def wait_ready(self, retrieval: str = "hybrid", timeout: float = 300.0) -> dict[str, float]:
        """Seconds from process start to the first 200 of /readyz, and to `retrieval` mode."""
        assert self.process is not None
        times: dict[str, float] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:] if self.log else ""
                raise RuntimeError(f"the server exited with {self.process.returncode}: {tail}")
            ready = self.readyz()
            now = time.perf_counter() - self.started
            if ready is not None:
                times.setdefault("ready_s", now)
                if ready.get("retrieval") == retrieval:
                    times["mode_s"] = now
                    return {k: round(v, 3) for k, v in times.items()}
                if ready.get("model") in ("unavailable", "disabled") and retrieval != "bm25":
                    raise RuntimeError(f"the server cannot answer in {retrieval} mode: {ready}")
            time.sleep(0.02)
        raise RuntimeError(f"the server was not ready in {retrieval} mode within {timeout} s")

    def memory(self) -> dict[str, float]:
        """Peak and current memory of the server and its workers."""
        assert self.process is not None
        return memory(self.process.pid)


def percentiles(values: list[float]) -> dict[str, float | None]:
    """Median, p95 and p99 (None for no values), rounded to microseconds."""
    if not values:
        return {"median": None, "p95": None, "p99": None}
    array = np.asarray(values, dtype=np.float64)
    return {
        "median": round(float(np.percentile(array, 50)), 3),
        "p95": round(float(np.percentile(array, 95)), 3),
        "p99": round(float(np.percentile(array, 99)), 3),
    }


def run_load(
    port: int, bodies: list[dict[str, Any]], concurrency: int, requests: int, timeout: float = 60
) -> dict[str, Any]:
    """POST `requests` bodies (cycling) to /chat from `concurrency` keep-alive connections."""
    counter = iter(range(requests))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            payload = json.dumps(bodies[n % len(bodies)]).encode()
            start = time.perf_counter()
            try:
                connection.request("POST", "/chat", payload, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                status, detail = 0, type(exc).__name__
            else:
                detail = str(status)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors.append(detail)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return {
        "concurrency": concurrency,
        "requests": requests,
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "seconds": round(seconds, 3),
        "throughput_per_s": round(len(latencies) / seconds, 1) if seconds else None,
        "latency_ms": percentiles(latencies),
    }
