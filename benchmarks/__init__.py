"""Benchmarks for intake, storage and the ETL (`make bench`); kept out of the test suite on purpose."""
