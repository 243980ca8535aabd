"""Resources: where the survey and analysis databases are, and which survey to analyse."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dagster import ConfigurableIOManager, ConfigurableResource, InputContext, MetadataValue, OutputContext

from etl import deduplicated_view
from etl.labels import TRANSLATIONS_DIR, welsh_catalog
from etl.tables import connect_analysis, replace_table, replace_view
from survey_app.definition import SURVEYS_DIR, Survey, load_surveys

from .preview import markdown_preview, private_columns

DEFAULT_SURVEY = "drugs-review"
RAW_RESPONSES = "raw_responses"
# In an input's `columns` metadata, stands for every answer column of the survey.
ANSWERS = "<answers>"


def reads(*columns: str) -> dict:
    """AssetIn metadata: load only these columns of the upstream frame (ANSWERS for all the answers).

    A million deduplicated responses are ~700 MB in memory; most outputs read a tenth of that.
    """
    return {"columns": list(columns)}


class LlaisResource(ConfigurableResource):
    """Paths and the survey slug; defaults come from the environment (see from_env)."""

    survey_database: str
    analysis_database: str
    survey_slug: str = DEFAULT_SURVEY
    surveys_dir: str = str(SURVEYS_DIR)
    translations_dir: str = str(TRANSLATIONS_DIR)

    @classmethod
    def from_env(cls) -> "LlaisResource":
        return cls(
            survey_database=os.environ.get("SURVEY_DATABASE", "var/responses.db"),
            analysis_database=os.environ.get("ANALYSIS_DATABASE", "var/analysis.db"),
            survey_slug=os.environ.get("SURVEY_SLUG", DEFAULT_SURVEY),
            surveys_dir=os.environ.get("SURVEYS_DIR", str(SURVEYS_DIR)),
        )

    def survey(self) -> Survey:
        surveys = load_surveys(self.surveys_dir)
        if self.survey_slug not in surveys:
            raise ValueError(f"No survey '{self.survey_slug}' in {self.surveys_dir}; "
                             f"found: {', '.join(sorted(surveys)) or 'none'}")
        return surveys[self.survey_slug]

    def welsh(self) -> dict[str, str]:
        return welsh_catalog(self.translations_dir)

    def analysis(self):
        return connect_analysis(self.analysis_database)

    def frames_folder(self) -> Path:
        return frames_folder(self.analysis_database, self.survey_slug)


def frames_folder(analysis_database: str, survey_slug: str) -> Path:
    """Where the Parquet hand-off between assets lives: beside the analysis database, per survey."""
    return Path(analysis_database).parent / "analysis_frames" / survey_slug


class AnalysisTableIOManager(ConfigurableIOManager):
    """Publishes each asset as a table in the analysis database, and hands it on as Parquet.

    The table (replaced atomically) is what the review team reads; the Parquet
    copy keeps dtypes (categoricals, nullable integers) and loads far faster
    than SQLite, so downstream assets get exactly the frame that was written.
    `responses_deduplicated` is published as a view over the clean responses
    and the duplicate groups (see etl/deduplicated_view.py), not a third copy;
    `raw_responses` is published by its asset, which has SQLite copy the rows from
    the survey database while it reads them (see etl/raw_copy.py); here it only gets
    its Parquet copy.
    """

    analysis_database: str
    survey_slug: str = DEFAULT_SURVEY
    surveys_dir: str = str(SURVEYS_DIR)

    def _survey(self) -> Survey:
        return load_surveys(self.surveys_dir)[self.survey_slug]

    def _parquet(self, name: str) -> Path:
        return frames_folder(self.analysis_database, self.survey_slug) / f"{name}.parquet"

    def handle_output(self, context: OutputContext, obj: pd.DataFrame) -> None:
        name = context.asset_key.path[-1]
        path = self._parquet(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_suffix(".parquet.tmp")
        _release_freed_memory()  # the step's temporaries, before the output's own copies are made
        # The Parquet copy is written while a child process writes the table (Arrow releases
        # the GIL), and takes its place only once the table is published.
        with ThreadPoolExecutor(max_workers=1) as pool:
            # No column statistics: nothing filters these files, and for a million text values they
            # cost a fifth of the write.
            parquet = pool.submit(obj.to_parquet, staging, index=False, write_statistics=False)
            try:
                self._publish(name, obj)
            finally:
                parquet.result()
        staging.replace(path)
        context.add_output_metadata({
            "dagster/row_count": MetadataValue.int(len(obj)),
            "table": MetadataValue.text(f"{name} in {self.analysis_database}"
                                        + (" (a view)" if name == deduplicated_view.NAME else "")),
            # Without identifiers or anyone's own words: Dagster keeps this for good (see preview.py).
            "preview": MetadataValue.md(markdown_preview(obj, private_columns(self._survey()))),
        })
        _release_freed_memory()

    def _publish(self, name: str, frame: pd.DataFrame) -> None:
        if name == RAW_RESPONSES:
            return  # published by its asset: SQLite copied the rows while the frame was read (etl/raw_copy.py)
        conn = connect_analysis(self.analysis_database)
        try:
            if name == deduplicated_view.NAME:
                replace_view(conn, name, deduplicated_view.SELECT)
            else:
                replace_table(conn, name, frame, self.survey_slug,
                              index=deduplicated_view.INDEXES.get(name, ("survey_id",)))
        finally:
            conn.close()

    def load_input(self, context: InputContext) -> pd.DataFrame:
        name = context.asset_key.path[-1]
        path = self._parquet(name)
        if not path.is_file():
            raise FileNotFoundError(f"{name} has not been materialised yet (no {path})")
        _release_freed_memory()
        wanted = context.definition_metadata.get("columns")
        return pd.read_parquet(path, columns=self._columns(path, wanted) if wanted else None)

    def _columns(self, path: Path, wanted: list[str]) -> list[str]:
        """The wanted columns that the frame has, in its order, with ANSWERS expanded."""
        if ANSWERS in wanted:
            wanted = [*wanted, *self._survey().answer_columns()]
        return [name for name in pq.read_schema(path).names if name in set(wanted)]


def _release_freed_memory() -> None:
    """Hand the pages the allocators kept from freed frames back to the system.

    Arrow's mimalloc keeps them for reuse, and so does the C library's malloc (numpy's
    temporaries); after a million-row step that is a large share of memory still resident
    while the next output is written or the next step loads its input.
    """
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


_LIBC = _libc() if sys.platform.startswith("linux") else None
