"""Intake throughput: the survey under gunicorn against a bare one-insert-per-POST Flask app.

A bounded load generator on loopback runs complete multi-page responses (GET the
start page for the CSRF token, POST consent, POST every section page) at a few
concurrency levels, then the baseline at the same levels, under the same server.

    python -m benchmarks.intake_bench --seconds 8 --levels 1 2 4 8 16
"""
from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from survey_app.definition import SURVEYS_DIR

from .common import machine, percentile, write_json

SURVEY = "drugs-review"
ROOT = Path(__file__).resolve().parent.parent
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# A member of the public answering every page they are shown (the same answers as the journey tests).
ANSWERS = {
    "about_role": {"respondent_group": "public"},
    "local_problem": {"dealing_problem": "very_big", "use_problem": "fairly_big", "problem_change": "worse"},
    "concerns": {"concerns": ["county_lines", "other"], "concerns_other": "Cuckooing of vulnerable tenants"},
    "public_experience": {"seen_dealing": "yes", "reporting_barriers": ["fear_reprisal"]},
    "police_response": {"confident_tackling": "disagree", "report_acted_on": "agree",
                        "police_visible": "strongly_disagree", "partners_work_together": "dont_know"},
    "support": {"aware_services": ["dan_247", "naloxone"], "know_where_help": "yes"},
    "priorities": {"partner_priorities": ["protect_young", "faster_treatment"],
                   "one_change": "More youth workers in the evenings."},
    "about_you": {"age_band": "35_44", "local_authority": "ceredigion", "postcode_district": "sy23",
                  "years_in_area": "12"},
    "follow_up": {"contact_consent": "no"},
}
MAX_PAGES = 20                 # a response that has not finished by then is counted as an error
BASELINE_BODY = "x" * 400      # about the size of one section page's form


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def open_surveys_dir(folder: Path) -> Path:
    """A copy of the shipped survey that is open today, so the benchmark runs whatever the date."""
    target = folder / "surveys"
    target.mkdir()
    today = dt.date.today()
    for path in SURVEYS_DIR.glob("*.yaml"):
        text = path.read_text()
        text = re.sub(r"(?m)^opens: .*$", f"opens: {today - dt.timedelta(days=7)}", text)
        text = re.sub(r"(?m)^closes: .*$", f"closes: {today + dt.timedelta(days=30)}", text)
        (target / path.name).write_text(text)
    return target


def start_server(app: str, env: dict, workers: int, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--chdir", str(ROOT), "--log-level", "warning", app]
    server = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"{app} did not start on port {port}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


# --- the load generator (runs in worker processes) -------------------------------------


def one_response(session: requests.Session, base: str, timings: list[float]) -> bool:
    """One respondent from the start page to the confirmation; True when the response was stored."""
    start_url = f"{base}/en/{SURVEY}/"
    began = time.perf_counter()
    page = session.get(start_url, timeout=10)
    timings.append(("GET", time.perf_counter() - began, page.status_code))
    token = CSRF_RE.search(page.text).group(1)
    url, data = start_url, {"consent": "y"}
    for _ in range(MAX_PAGES):
        began = time.perf_counter()
        response = session.post(url, data={"csrf_token": token, **data}, allow_redirects=False, timeout=10)
        timings.append(("POST", time.perf_counter() - began, response.status_code))
        if response.status_code != 303:
            return False
        location = response.headers["Location"]
        if location.endswith("/complete"):
            return True
        url = requests.compat.urljoin(base, location)
        data = ANSWERS.get(location.rsplit("/", 1)[-1], {})
    return False


def one_baseline_post(session: requests.Session, base: str, timings: list) -> bool:
    began = time.perf_counter()
    response = session.post(f"{base}/submit", data={"body": BASELINE_BODY}, timeout=10)
    timings.append(("POST", time.perf_counter() - began, response.status_code))
    return response.status_code == 201


def respondent_session() -> requests.Session:
    """A new person on a phone of their own. Every client here shares the loopback address, so
    without a browser of its own each would count against one rate limit, as if a single
    device had sent every response (the limiter allows it about ten every ten minutes)."""
    session = requests.Session()
    session.headers["User-Agent"] = f"llais-bench/{os.urandom(8).hex()}"
    return session


def client_thread(kind: str, base: str, deadline: float, out: dict) -> None:
    session = respondent_session()
    work = one_response if kind == "survey" else one_baseline_post
    while time.monotonic() < deadline:
        try:
            ok = work(session, base, out["timings"])
        except (requests.RequestException, AttributeError):
            ok = False
        out["completed" if ok else "failed"] += 1
        if kind == "survey":
            session = respondent_session()


def client_process(kind: str, base: str, threads: int, seconds: float, queue) -> None:
    deadline = time.monotonic() + seconds
    outs = [{"timings": [], "completed": 0, "failed": 0} for _ in range(threads)]
    workers = [threading.Thread(target=client_thread, args=(kind, base, deadline, out)) for out in outs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 30)
    queue.put({"timings": [t for o in outs for t in o["timings"]], "completed": sum(o["completed"] for o in outs),
               "failed": sum(o["failed"] for o in outs)})


def load(kind: str, base: str, concurrency: int, seconds: float, processes: int) -> dict:
    """`concurrency` clients spread over a few processes (one Python process cannot drive many alone)."""
    processes = min(processes, concurrency)
    queue = multiprocessing.get_context("fork").Queue()
    shares = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    started = time.perf_counter()
    procs = [multiprocessing.get_context("fork").Process(target=client_process,
                                                         args=(kind, base, share, seconds, queue))
             for share in shares]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=seconds + 60) for _ in procs]
    for proc in procs:
        proc.join(10)
    elapsed = time.perf_counter() - started
    timings = [t for r in results for t in r["timings"]]
    posts = [seconds_ for method, seconds_, _ in timings if method == "POST"]
    errors = sum(1 for _, _, status in timings if status >= 400)
    return {
        "concurrency": concurrency, "seconds": round(elapsed, 2),
        "completed": sum(r["completed"] for r in results), "failed": sum(r["failed"] for r in results),
        "requests": len(timings), "requests_per_second": round(len(timings) / elapsed, 1),
        "posts_per_second": round(len(posts) / elapsed, 1),
        "completed_per_second": round(sum(r["completed"] for r in results) / elapsed, 1),
        "http_errors": errors,
        "post_p50_ms": round(1000 * percentile(posts, 0.50), 1),
        "post_p95_ms": round(1000 * percentile(posts, 0.95), 1),
        "post_p99_ms": round(1000 * percentile(posts, 0.99), 1),
    }


# --- the run ----------------------------------------------------------------------------


def at_80_percent_of_peak(levels: list[dict], key: str) -> dict:
    peak = max(level[key] for level in levels)
    return next(level for level in levels if level[key] >= 0.8 * peak)


def measure(kind: str, app: str, env: dict, workers: int, levels: list[int], seconds: float,
            processes: int) -> list[dict]:
    port = free_port()
    server = start_server(app, env, workers, port)
    try:
        return [load(kind, f"http://127.0.0.1:{port}", level, seconds, processes) for level in levels]
    finally:
        stop_server(server)


def run(levels: list[int], seconds: float, workers: int, processes: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="llais-intake-"))
    try:
        survey_db = folder / "responses.db"
        env = {"SURVEY_DATABASE": str(survey_db), "SURVEYS_DIR": str(open_surveys_dir(folder)),
               "LLAIS_VAR_DIR": str(folder), "SECRET_KEY": "bench-" + os.urandom(16).hex(),
               "FINGERPRINT_SECRET": "bench-" + os.urandom(16).hex()}
        survey = measure("survey", "survey_app:create_app()", env, workers, levels, seconds, processes)
        baseline = measure("baseline", "benchmarks.baseline_app:app",
                           {"BASELINE_DATABASE": str(folder / "baseline.db")}, workers, levels, seconds, processes)
        with sqlite3.connect(survey_db) as conn:
            stored = conn.execute("select count(*) from responses").fetchone()[0]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    completed = sum(level["completed"] for level in survey)
    peak_survey = max(level["requests_per_second"] for level in survey)
    peak_baseline = max(level["requests_per_second"] for level in baseline)
    at_80 = at_80_percent_of_peak(survey, "requests_per_second")
    return {
        "workers": workers, "load_processes": processes, "seconds_per_level": seconds,
        "survey": survey, "baseline": baseline,
        "completed": completed, "stored": stored, "lost": completed - stored,
        "peak_requests_per_second": peak_survey, "baseline_peak_requests_per_second": peak_baseline,
        "ratio_to_baseline": round(peak_survey / peak_baseline, 3),
        "peak_posts_per_second": max(level["posts_per_second"] for level in survey),
        "peak_completed_per_second": max(level["completed_per_second"] for level in survey),
        "at_80_percent_of_peak": at_80,
        "targets": {"ratio_to_baseline": 0.4, "p99_ms_at_80_percent_of_peak": 100, "lost": 0},
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(prog="python -m benchmarks.intake_bench")
    parser.add_argument("--seconds", type=float, default=8, help="load time per concurrency level")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help="gunicorn sync workers")
    parser.add_argument("--load-processes", type=int, default=cores)
    args = parser.parse_args(argv)
    result = run(args.levels, args.seconds, args.workers, args.load_processes)
    at_80 = result["at_80_percent_of_peak"]
    print(f"intake: {result['peak_requests_per_second']} req/s vs baseline "
          f"{result['baseline_peak_requests_per_second']} (x{result['ratio_to_baseline']}); "
          f"p99 {at_80['post_p99_ms']} ms at concurrency {at_80['concurrency']}; "
          f"completed {result['completed']}, stored {result['stored']}")
    write_json("intake", result)


if __name__ == "__main__":
    main()
