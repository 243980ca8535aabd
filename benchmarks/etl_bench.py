"""ETL throughput: generate 10k / 100k / 1M responses, then materialise every asset.

Each size runs in fresh processes (one for the floor, one for the pipeline) so
the peak memory of one does not hide in the other's.

    python -m benchmarks.etl_bench --sizes 10000 100000 1000000
"""
from __future__ import annotations

import argparse
import json
import math
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from .common import RESULTS_DIR, MemorySampler, machine, write_json

SURVEY = "drugs-review"
TARGET_FLOOR_MULTIPLE = 10
TARGET_PEAK_MB = 2048
FLOOR_REPEATS = 3
# The pipeline is run this many times a size and the median run kept: on this shared machine the same
# code's 1M run took from 47 to 53 s, so one run's multiple of the floor could land either side of 10.
PIPELINE_REPEATS = 3


def stored_count(path: Path) -> int:
    if not path.is_file():
        return 0
    with sqlite3.connect(path) as conn:
        try:
            return conn.execute("select count(*) from responses").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def ensure_database(folder: Path, size: int) -> dict:
    """A survey database of `size` generated responses, reused when an earlier run left one whole."""
    path = folder / f"responses-{size}.db"
    if stored_count(path) == size:
        return {"database": str(path), "generated": False}
    for stale in folder.glob(f"responses-{size}.db*"):
        stale.unlink()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "etl.synthetic", "--database", str(path), "--survey", SURVEY,
                    "--count", str(size)], check=True, stdout=subprocess.DEVNULL)
    return {"database": str(path), "generated": True, "generate_seconds": round(time.perf_counter() - started, 2)}


def read_floor(database: str, repeats: int = FLOOR_REPEATS) -> dict:
    """The least any pipeline must spend: the raw responses table read into a DataFrame, column-wise,
    on one core. Read `repeats` times and the fastest kept: on a shared machine one read can take
    half as long again, and a slow floor would flatter the pipeline's multiple."""
    from etl.read import read_table_arrow

    times = []
    with MemorySampler() as sampler:
        for _ in range(repeats):
            started = time.perf_counter()
            frame = read_table_arrow(database, "select * from responses")
            times.append(round(time.perf_counter() - started, 3))
            rows, columns = frame.shape
            del frame
    return {"seconds": min(times), "all_seconds": times, "rows": rows, "columns": columns,
            "peak_rss_mb": round(max(mb for _, mb in sampler.samples))}


def refresh_all_job():
    """Every asset, analysis and review outputs, as `dagster asset materialize --select '*'` runs them,
    with paths from SURVEY_DATABASE / ANALYSIS_DATABASE (exports beside the analysis database)."""
    from dagster_project import defs

    return defs.resolve_job_def("refresh_all")


def materialise(database: str, analysis: str) -> dict:
    """Every asset and check in-process, with wall time and peak memory per step.

    Through execute_job, like the command line: execute_in_process keeps every
    output in memory until the run ends (for tests to inspect), which a
    materialisation does not.
    """
    import os

    from dagster import DagsterEventType, DagsterInstance, execute_job, reconstructable

    os.environ.update(SURVEY_DATABASE=database, ANALYSIS_DATABASE=analysis)
    instance = DagsterInstance.ephemeral()
    with MemorySampler() as sampler:
        started = time.time()
        result = execute_job(reconstructable(refresh_all_job), instance=instance, raise_on_error=False)
        ended = time.time()
    starts, steps, failed = {}, {}, []
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            if event.event_type == DagsterEventType.STEP_FAILURE:
                failed.append(event.step_key)
            begin = starts[event.step_key]
            steps[event.step_key] = {"seconds": round(entry.timestamp - begin, 3),
                                     "peak_rss_mb": round(sampler.peak_between(begin, entry.timestamp))}
    # Sampled, not ru_maxrss: Linux carries the parent's peak across fork and exec.
    return {"success": result.success, "failed": failed, "seconds": round(ended - started, 3), "steps": steps,
            "peak_rss_mb": round(max(mb for _, mb in sampler.samples))}


def in_subprocess(function: str, *args: str) -> dict:
    code = f"import json, sys; from benchmarks.etl_bench import {function}; print(json.dumps({function}(*sys.argv[1:])))"
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{function}{args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_size(folder: Path, size: int, repeats: int = PIPELINE_REPEATS) -> dict:
    """The floor, then every asset materialised `repeats` times into a new analysis database each time;
    the median run (by wall time) is the one reported, against the fastest floor read, with the
    highest peak memory of any run."""
    source = ensure_database(folder, size)
    analysis = folder / f"analysis-{size}.db"
    floor = in_subprocess("read_floor", source["database"])
    runs = []
    for _ in range(repeats):
        for stale in folder.glob(f"analysis-{size}.db*"):
            stale.unlink()
        runs.append(in_subprocess("materialise", source["database"], str(analysis)))
    pipeline = {**sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2],
                "all_seconds": [run["seconds"] for run in runs], "success": all(run["success"] for run in runs),
                # The highest of any run: the memory target is a ceiling, not a typical figure.
                "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
                "failed": sorted({step for run in runs for step in run["failed"]})}
    return {"responses": size, **source, "floor": floor, "pipeline": pipeline,
            "responses_per_second": round(size / pipeline["seconds"]),
            "floor_multiple": round(pipeline["seconds"] / floor["seconds"], 1)}


def growth(runs: list[dict]) -> list[dict]:
    """Per step, how time grows between sizes, as an exponent (1 = linear) and against n log n."""
    rows = []
    for small, large in zip(runs, runs[1:]):
        ratio_n = large["responses"] / small["responses"]
        n_log_n = ratio_n * math.log(large["responses"]) / math.log(small["responses"])
        steps = {**{k: v["seconds"] for k, v in large["pipeline"]["steps"].items()},
                 "total": large["pipeline"]["seconds"]}
        for step, seconds in steps.items():
            before = small["pipeline"]["steps"].get(step, {}).get("seconds") if step != "total" \
                else small["pipeline"]["seconds"]
            if not before:
                continue
            ratio_t = seconds / before
            rows.append({"from": small["responses"], "to": large["responses"], "step": step,
                         "time_ratio": round(ratio_t, 2), "exponent": round(math.log(ratio_t) / math.log(ratio_n), 2),
                         "within_n_log_n": ratio_t <= n_log_n})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.etl_bench")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args(argv)
    folder = RESULTS_DIR / "etl"
    folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for size in sorted(args.sizes):
        run = run_size(folder, size)
        print(f"etl {size}: pipeline {run['pipeline']['seconds']} s, the median of {run['pipeline']['all_seconds']} "
              f"({run['responses_per_second']} responses/s), "
              f"floor {run['floor']['seconds']} s (x{run['floor_multiple']}), "
              f"peak {run['pipeline']['peak_rss_mb']} MB"
              + ("" if run["pipeline"]["success"] else f"; FAILED: {', '.join(run['pipeline']['failed'])}"), flush=True)
        runs.append(run)
    write_json("etl", {"runs": runs, "growth": growth(runs), "machine": machine(),
                       "targets": {"floor_multiple": TARGET_FLOOR_MULTIPLE, "peak_rss_mb": TARGET_PEAK_MB}})


if __name__ == "__main__":
    main()
