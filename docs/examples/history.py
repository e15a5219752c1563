"""History with the Python SDK: every batch (show batches too), page after page, newest first;
the uploads left open (to resume with `mediabatch resume UPLOAD_ID FILE`); retry a finished
batch's failed jobs in place.

    MEDIABATCH_API=http://127.0.0.1:8080 MEDIABATCH_API_KEY=... python docs/examples/history.py [--retry-failed]
"""

import os
import sys

from mediabatch_client import ConflictError, MediaBatch

with MediaBatch(os.environ.get("MEDIABATCH_API", "http://127.0.0.1:8080"), os.environ["MEDIABATCH_API_KEY"]) as mb:
    batches = list(mb.batches.iter(page_size=50))
    for b in batches[:10]:
        kind = f"show {b.show_url}" if b.show_url else "urls"
        print(f"{b.batch_id}\t{b.status}\t{b.completed_jobs}/{b.total_jobs}\t{kind}")
    print(f"{len(batches)} batch(es)")
    for upload in mb.uploads.iter_open():
        print(f"open upload\t{upload.uploadId}\t{upload.filename}\t{upload.status}\texpires {upload.expiresAt}")
    if "--retry-failed" in sys.argv:
        for b in batches:
            if b.failed_jobs and b.status in ("completed", "failed"):
                try:
                    print(f"retried {mb.batches.retry(b.batch_id).batch_id}")
                except ConflictError as error:  # nothing_to_retry, batch_not_finished
                    print(f"not retried {b.batch_id}: {error.code}")
                break
