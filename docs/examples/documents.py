"""Document batches with the Python SDK: embed PDF/PPTX files into a collection (one request
for small files, presigned uploads for large ones: chosen by size), follow each file's step and
percentage, then search the collection by meaning.

    MEDIABATCH_API=http://127.0.0.1:8080 MEDIABATCH_API_KEY=... \\
        python docs/examples/documents.py COLLECTION "what to search for" FILE.pdf [FILE.pptx ...]
"""

import os
import sys
from pathlib import Path

from mediabatch_client import MediaBatch, NotFoundError

collection, query, files = sys.argv[1], sys.argv[2], [Path(p) for p in sys.argv[3:]]
with MediaBatch(os.environ.get("MEDIABATCH_API", "http://127.0.0.1:8080"), os.environ["MEDIABATCH_API_KEY"]) as mb:
    started = mb.documents.embed(files, collection=collection)
    print(f"job {started.job_id} {started.status}")
    for job in mb.documents.watch(started.job_id, interval=1.0, timeout=600):
        steps = ", ".join(f"{f.name} {f.step} {f.percentage:.0f}%" for f in job.files_state())
        print(f"  {job.status} {job.percent:.0f}%: {steps}")
    for f in job.files_state():
        print(f"{f.status}\t{f.name}" + (f"\t{f.error}" if f.error else ""))
    for hit in mb.documents.search(collection, query, n_results=3):
        print(f"hit\t{hit.distance:.3f}\t{hit.document_name}\tpage {hit.page_number}\t{hit.text[:60]!r}")
    print(f"collections: {', '.join(c.name for c in mb.documents.collections())}")
    mb.documents.delete_collection(collection)
    try:
        mb.documents.search(collection, query)
    except NotFoundError as error:  # the seed's {"detail": ...} as the SDK's exception
        print(f"deleted: {error.code}: {error.message}")
