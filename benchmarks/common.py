"""Shared helpers: memory readings, percentiles and the results files."""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

RESULTS_DIR = Path(os.environ.get("BENCH_DIR", "var/bench"))


def rss_mb() -> float:
    """Resident memory of this process and every process it started (Linux /proc), now.

    The ETL writes its largest tables through a child process; its memory counts too. A child
    still running this process's command line is a fork not yet replaced by its own program: it
    shares this process's pages, so it is not counted twice.
    """
    root = os.getpid()
    command = _command_line(root)
    pids = [root] + [pid for pid in _process_tree(root)[1:] if _command_line(pid) != command]
    return sum(_rss_pages(pid) for pid in pids) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _command_line(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except OSError:
        return b""


def _process_tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in task.read_text().split())
            except OSError:
                pass  # the process or thread ended while being read
    return found


def _rss_pages(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1])
    except (OSError, IndexError):
        return 0


class MemorySampler:
    """Samples RSS (with child processes) every few milliseconds in a thread, so each step's peak can be read afterwards."""

    def __init__(self, interval: float = 0.02):
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), rss_mb()))
            self._stop.wait(self.interval)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def peak_between(self, start: float, end: float) -> float:
        inside = [mb for at, mb in self.samples if start <= at <= end]
        return max(inside) if inside else rss_mb()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def machine() -> dict:
    return {"cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def write_json(name: str, data: dict) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2))
    return path
