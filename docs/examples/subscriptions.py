"""Webhook subscriptions with the Python SDK: subscribe an endpoint to events, list the
subscriptions, read a delivery log (redeliver the last delivery), unsubscribe.

    MEDIABATCH_API=http://127.0.0.1:8080 MEDIABATCH_API_KEY=... python docs/examples/subscriptions.py URL
"""

import os
import sys

from mediabatch_client import MediaBatch

with MediaBatch(os.environ.get("MEDIABATCH_API", "http://127.0.0.1:8080"), os.environ["MEDIABATCH_API_KEY"]) as mb:
    sub = mb.webhooks.subscribe(sys.argv[1], ["batch.*", "file.uploaded"])
    print(f"subscribed {sub.id} to {','.join(sub.events)}")
    for s in mb.webhooks.list():
        print(f"subscription\t{s.id}\t{s.url}")
    deliveries = list(mb.webhooks.iter_deliveries(sub.id))
    print(f"{len(deliveries)} delivery(ies)")
    if deliveries:
        again = mb.webhooks.redeliver(deliveries[0].id)
        print(f"redelivered {again.delivery_id}: {again.status}")
    mb.webhooks.unsubscribe(sub.id)
    print(f"unsubscribed {sub.id}")
