"""Append an Arrow IPC stream from stdin to a table of a SQLite database, through ADBC.

    python etl/ingest.py DATABASE TABLE < stream

Run as its own process by etl.tables: Python's sqlite3 and the ADBC driver each
link their own SQLite, and in one process the two would drop each other's locks
on a shared file; across processes SQLite's locking holds. Only pyarrow and the
ADBC driver are imported, so it starts quickly.
"""
import sys

import adbc_driver_sqlite.dbapi
import pyarrow as pa

BUSY_TIMEOUT_MS = 30_000


def main(database: str, table: str) -> None:
    reader = pa.ipc.open_stream(sys.stdin.buffer)
    with adbc_driver_sqlite.dbapi.connect(database) as conn, conn.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.adbc_ingest(table, reader, mode="append")
        conn.commit()


if __name__ == "__main__":
    main(*sys.argv[1:])
