#!/usr/bin/env bash
# A batch download with curl: start it, poll it until it ends, print each job.
#   MEDIABATCH_API=http://127.0.0.1:8080 MEDIABATCH_API_KEY=... docs/examples/download.sh URL...
set -euo pipefail
API="${MEDIABATCH_API:-http://127.0.0.1:8080}"
KEY="${MEDIABATCH_API_KEY:?set MEDIABATCH_API_KEY (make run prints it)}"
urls=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
batch=$(curl -sf -X POST "$API/api/v1/batch/download" -H "X-API-Key: $KEY" \
  -H "Content-Type: application/json" -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" \
  -d "{\"urls\": $urls, \"concurrent_limit\": 3}" | jq -r .batch_id)
echo "batch $batch"
while :; do
  state=$(curl -sf "$API/api/v1/batch/$batch" -H "X-API-Key: $KEY")
  status=$(jq -r .status <<<"$state")
  case "$status" in completed|failed|cancelled) break ;; esac
  sleep 1
done
jq -r '.jobs[] | "\(.status)\t\(.progress.percent)%\t\(.url)\t\(.file_info.media_id // .error)"' <<<"$state"
echo "batch $batch $status"
