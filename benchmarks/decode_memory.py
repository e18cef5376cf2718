"""Peak memory of `enmusubi serve` while 8 clients each send a 15 MiB problem at once, with the decoding
step unbounded (ENMUSUBI_MAX_CONCURRENT_DECODES=8: every body decoded at the same time, as before the
bound) and bounded (the default, 2), side by side in one run on loopback.

Each body is a valid-looking problem of ~48,000 partners with one unknown reference at the end, so it is
read, decoded and validated in full and then refused (422): what is measured is decoding, not solving.
Peak RSS is the server's VmHWM from /proc (Linux only).

Run: .venv/bin/python -m benchmarks.decode_memory   (writes benchmarks/results/decode_memory.json)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import write

CLIENTS = 8
PARTNERS = 48_000
SETTINGS = {"unbounded (8 at once)": "8", "bounded (default, 2 at once)": "2"}


def body() -> bytes:
    partners = [
        {
            "id": f"partner-{i:06d}",
            "name": f"Partner number {i} of the side-job pool",
            "skills": {"project_management": i % 6, "data_analysis": (i * 7) % 6},
            "lat": 35.6 + (i % 100) / 1000,
            "lon": 139.6 + (i % 77) / 1000,
            "hours_per_week": 10 + i % 20,
            "hourly_rate_yen": 3000 + i % 5000,
            "max_onsite_days_per_week": 2,
            "max_commute_minutes": 90,
            "max_assignments": 3,
            "preferred_municipalities": ["13101"],
        }
        for i in range(PARTNERS)
    ]
    problem = {
        "version": 1,
        "municipalities": [{"id": "13101", "name": "Chiyoda", "lat": 35.69, "lon": 139.75, "budget_yen": None}],
        "positions": [{"id": "pm", "municipality": "nowhere", "title": "PM", "hours_per_week": 8}],
        "partners": partners,
    }
    return json.dumps(problem).encode()


def _status(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, value, _ = line.split()
            fields[name.rstrip(":")] = int(value) // 1024  # MiB
    return fields


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure(decodes: str, payload: bytes) -> dict[str, Any]:
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="enmusubi-decode-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENMUSUBI_")}
    env |= {"ENMUSUBI_DATABASE_URL": f"sqlite:///{folder / 'runs.sqlite3'}", "ENMUSUBI_MAX_CONCURRENT_DECODES": decodes}
    server = subprocess.Popen(
        [sys.executable, "-m", "enmusubi.service.cli.app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(600):  # a bounded wait for the server to answer
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        idle = _status(server.pid)
        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as clients:
            codes = list(
                clients.map(
                    lambda _: (
                        httpx.post(
                            f"{url}/v1/solve",
                            content=payload,
                            headers={"Content-Type": "application/json"},
                            timeout=300,
                        ).status_code
                    ),
                    range(CLIENTS),
                )
            )
        seconds = time.monotonic() - started
        after = _status(server.pid)
        return {
            "max_concurrent_decodes": int(decodes),
            "answers": sorted(set(codes)),
            "idle_rss_mib": idle["VmRSS"],
            "peak_rss_mib": after["VmHWM"],
            "growth_mib": after["VmHWM"] - idle["VmRSS"],
            "all_answered_seconds": round(seconds, 2),
        }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)


def main() -> int:
    payload = body()
    print(f"{CLIENTS} clients x {len(payload) / 2**20:.1f} MiB bodies")
    figures: dict[str, Any] = {"clients": CLIENTS, "body_mib": round(len(payload) / 2**20, 1), "runs": {}}
    for label, decodes in SETTINGS.items():
        figures["runs"][label] = result = measure(decodes, payload)
        print(
            f"  {label:30} peak RSS {result['peak_rss_mib']} MiB (idle {result['idle_rss_mib']} MiB), "
            f"all answered in {result['all_answered_seconds']} s, answers {result['answers']}"
        )
    print(f"wrote {write('decode_memory', figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
