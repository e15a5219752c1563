"""The media catalog with the Python SDK: list every item, copy one, delete the copy, read the
audit log; errors by class (MediaNotFound) or by code.

    MEDIABATCH_API=http://127.0.0.1:8080 MEDIABATCH_API_KEY=... python docs/examples/media.py
"""

import os

from mediabatch_client import MediaBatch, MediaNotFound

with MediaBatch(os.environ.get("MEDIABATCH_API", "http://127.0.0.1:8080"), os.environ["MEDIABATCH_API_KEY"]) as mb:
    items = list(mb.media.iter())
    print(f"{len(items)} item(s)")
    first = items[0]
    (copy,) = mb.media.copy_many([first.id])
    print(f"copied {copy.source_id} -> {copy.new_id} ({copy.status})")
    (deleted,) = mb.media.delete_many([copy.new_id or ""])
    print(f"deleted {deleted.id} ({deleted.status})")
    try:
        mb.media.get(copy.new_id or "")
    except MediaNotFound as error:
        print(f"gone: {error.code}")
    for entry in mb.audit.iter(action="media.copy"):
        print(f"audit: {entry.time} {entry.action} {entry.target} {entry.result} {entry.details}")
        break
