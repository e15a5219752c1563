"""Upload video files with the Python SDK: parallel parts straight to storage, a progress line,
and a state file so that running it again after an interruption resumes.

    MEDIABATCH_API=http://127.0.0.1:8080 MEDIABATCH_API_KEY=... python docs/examples/upload.py FILE...
"""

import os
import sys
from pathlib import Path

from mediabatch_client import MediaBatch, UploadProgress, UploadState


def show(p: UploadProgress) -> None:
    print(f"  {p.filename}: {p.fraction:.0%} ({p.chunks_done}/{p.total_chunks} parts)", file=sys.stderr)


api = os.environ.get("MEDIABATCH_API", "http://127.0.0.1:8080")
with MediaBatch(api, os.environ["MEDIABATCH_API_KEY"], upload_workers=4) as mb:
    state = UploadState(Path(os.environ.get("MEDIABATCH_STATE", ".mediabatch-uploads.json")))
    for result in mb.uploads.upload([Path(a) for a in sys.argv[1:]], on_progress=show, state=state):
        print(f"{result.path.name}\tmedia {result.media_id}\t{'resumed' if result.resumed else 'new'}")
