"""A webhook receiver that checks each delivery's Standard Webhooks signature with the SDK's
`verify` (standard library only; no other part of the SDK needed), then prints the event.

    MEDIABATCH_API_KEY=... python docs/examples/webhook_receiver.py 9000
    # then: mediabatch download URL... (with --webhook-url http://<this host>:9000/)
    # The secret comes from the API (`mediabatch webhooks secret`), or $MEDIABATCH_WEBHOOK_SECRET.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from mediabatch_client import MediaBatch
from mediabatch_client.webhooks import WebhookVerificationError, verify

SECRET = (
    os.environ.get("MEDIABATCH_WEBHOOK_SECRET")
    or MediaBatch(
        os.environ.get("MEDIABATCH_API", "http://127.0.0.1:8080"), os.environ["MEDIABATCH_API_KEY"]
    ).webhooks.secret()
)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        try:
            verify(SECRET, dict(self.headers), body)  # the raw bytes, before parsing
        except WebhookVerificationError as error:
            print(f"refused: {error}", flush=True)
            self.send_response(400)
            self.end_headers()
            return
        event = json.loads(body)
        print(f"{event.get('type')}: {json.dumps(event.get('data'))[:200]}", flush=True)
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    HTTPServer(("0.0.0.0", int(sys.argv[1]) if len(sys.argv) > 1 else 9000), Receiver).serve_forever()  # noqa: S104
