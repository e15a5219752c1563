"""A podcast show with the Python SDK: start a batch from its feed, watch the episodes, print
each (a failed one with its error_code), retry the failed ones in place if any.

    MEDIABATCH_API=http://127.0.0.1:8080 MEDIABATCH_API_KEY=... python docs/examples/show.py FEED_URL [FOLDER]
"""

import os
import sys

from mediabatch_client import MediaBatch
from mediabatch_client.resources.shows import EpisodeJob

feed, folder = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
with MediaBatch(os.environ.get("MEDIABATCH_API", "http://127.0.0.1:8080"), os.environ["MEDIABATCH_API_KEY"]) as mb:
    created = mb.shows.create(feed, folder=folder)
    if isinstance(created, EpisodeJob):  # a single media URL: one job
        sys.exit(f"not a show: one job {created.id}")
    print(f"show batch {created.batch_id}: {created.total_episodes} episode(s)")
    for state in mb.shows.watch(created.batch_id, interval=1.0, timeout=600):
        print(f"  {state.status}: {state.completed_episodes + state.failed_episodes}/{state.total_episodes}")
    for job in mb.shows.episodes(state):
        where = job.file.filepath if job.file else f"{job.error_code}: {job.error}"
        print(f"{job.status}\t{job.name}\t{where}")
    if state.failed_episodes:
        retried = mb.shows.retry(created.batch_id)
        print(f"retrying {retried.total_episodes - retried.completed_episodes} episode(s)")
        state = mb.shows.wait(created.batch_id, timeout=600)
    print(f"show batch {state.id} {state.status}")
