"""A batch download with the Python SDK: start it, watch each job, read where the files went.

MEDIABATCH_API=http://127.0.0.1:8080 MEDIABATCH_API_KEY=... python docs/examples/download.py URL...
"""

import os
import sys

from mediabatch_client import MediaBatch

with MediaBatch(os.environ.get("MEDIABATCH_API", "http://127.0.0.1:8080"), os.environ["MEDIABATCH_API_KEY"]) as mb:
    summary = mb.batches.create(sys.argv[1:], concurrent_limit=3)
    print("batch", summary.batch_id, summary.status)
    for batch in mb.batches.watch(summary.batch_id, interval=0.5, timeout=300):
        print(f"  {batch.status}: {batch.percent:.0f}%")
    for job in batch.jobs:
        where = job.file_info.media_id if job.file_info else job.error
        print(f"{job.status}\t{job.name}\t{where}")
    sys.exit(0 if batch.status == "completed" and batch.failed_jobs == 0 else 1)
