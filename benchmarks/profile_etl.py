"""Materialise every asset on 100k generated responses, for a profiler to watch (`make profile`)."""
from __future__ import annotations

from .common import RESULTS_DIR
from .etl_bench import ensure_database, materialise

SIZE = 100_000


def main() -> None:
    folder = RESULTS_DIR / "etl"
    folder.mkdir(parents=True, exist_ok=True)
    source = ensure_database(folder, SIZE)
    print(materialise(source["database"], str(folder / f"profile-analysis-{SIZE}.db")))


if __name__ == "__main__":
    main()
