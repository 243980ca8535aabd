"""Run every benchmark and write var/bench/results.md and var/bench/results.json (`make bench`)."""
from __future__ import annotations

import json
import time

from . import etl_bench, intake_bench, storage_bench
from .common import RESULTS_DIR, machine


def table(rows: list[tuple]) -> list[str]:
    lines = ["| figure | value | target |", "| --- | --- | --- |"]
    return lines + [f"| {a} | {b} | {c} |" for a, b, c in rows]


def markdown(results: dict) -> str:
    intake, storage, etl = results["intake"], results["storage"], results["etl"]
    at_80 = intake["at_80_percent_of_peak"]
    rows = [
        ("intake: requests/s (peak)", intake["peak_requests_per_second"], ""),
        ("intake: form POSTs/s (peak)", intake["peak_posts_per_second"], ""),
        ("intake: complete responses/s (peak)", intake["peak_completed_per_second"], ""),
        ("baseline: one-insert POSTs/s (peak)", intake["baseline_peak_requests_per_second"], ""),
        ("intake / baseline", intake["ratio_to_baseline"], ">= 0.4"),
        (f"POST p50 / p95 / p99 at 80% of peak (concurrency {at_80['concurrency']})",
         f"{at_80['post_p50_ms']} / {at_80['post_p95_ms']} / {at_80['post_p99_ms']} ms", "p99 < 100 ms"),
        ("intake: completed / stored / lost", f"{intake['completed']} / {intake['stored']} / {intake['lost']}", "0 lost"),
        ("intake: HTTP errors", sum(level["http_errors"] for level in intake["survey"]), "0"),
        ("storage: bulk insert rows/s", storage["rows_per_second"], ">= 100000"),
    ]
    for run in etl["runs"]:
        n = f"{run['responses']:,}"
        rows += [
            (f"ETL {n}: every asset and check passed", "yes" if run["pipeline"]["success"]
             else "NO: " + ", ".join(run["pipeline"].get("failed", [])), "yes"),
            (f"ETL {n}: pipeline s, median of {len(run['pipeline'].get('all_seconds', [0]))} runs (responses/s)",
             f"{run['pipeline']['seconds']} ({run['responses_per_second']}; runs: "
             f"{' / '.join(str(s) for s in run['pipeline'].get('all_seconds', [run['pipeline']['seconds']]))})", ""),
            (f"ETL {n}: floor s (read raw table, fastest of {len(run['floor'].get('all_seconds', [0]))})",
             run["floor"]["seconds"], ""),
            (f"ETL {n}: pipeline / floor", run["floor_multiple"], "<= 10 at 1M"),
            (f"ETL {n}: peak memory MB", run["pipeline"]["peak_rss_mb"], "<= 2048 at 1M"),
        ]
    largest = etl["runs"][-1]
    steps = sorted(largest["pipeline"]["steps"].items(), key=lambda item: -item[1]["seconds"])
    lines = [f"# Benchmarks ({results['machine']['cpus']} cores, load average at start "
             f"{results['machine']['load_average_at_start']}; other work shared the machine)", ""]
    lines += table(rows)
    lines += ["", f"## Slowest steps at {largest['responses']:,} responses", "",
              "| step | seconds | peak MB |", "| --- | --- | --- |"]
    lines += [f"| {name} | {step['seconds']} | {step['peak_rss_mb']} |" for name, step in steps[:8]]
    lines += ["", "## Growth between sizes (exponent 1 = linear)", "",
              "| step | from | to | time ratio | exponent | within n log n |", "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {g['step']} | {g['from']:,} | {g['to']:,} | {g['time_ratio']} | {g['exponent']} | "
              f"{'yes' if g['within_n_log_n'] else 'NO'} |"
              for g in etl["growth"] if g["step"] == "total" or g["to"] == largest["responses"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    started = time.perf_counter()
    results = {"machine": machine()}
    print("storage benchmark ...", flush=True)
    storage_bench.main([])
    print("ETL benchmark (10k, 100k, 1M) ...", flush=True)
    etl_bench.main([])
    print("intake benchmark ...", flush=True)
    intake_bench.main([])
    for name in ("storage", "etl", "intake"):
        results[name] = json.loads((RESULTS_DIR / f"{name}.json").read_text())
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    (RESULTS_DIR / "results.json").write_text(json.dumps(results, indent=2))
    (RESULTS_DIR / "results.md").write_text(markdown(results))
    print((RESULTS_DIR / "results.md").read_text())
    print(f"whole run: {results['total_seconds']} s")


if __name__ == "__main__":
    main()
