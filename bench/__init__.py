"""Benchmarks of mediabatch: `python -m bench` (all) or `python -m bench NAME ...` (some).

Each benchmark compares the system with a baseline measured in the same run and writes its
table into docs/performance.md. Nothing here is part of the test suite; tests never time.
"""

BENCHMARKS = (
    "download_concurrency",
    "orchestration_overhead",
    "download_memory",
    "upload_throughput",
    "media_operations",
    "shows",
    "documents",
    "local_cloud",
    "local_cloud_workers",
)
