#!/usr/bin/env bash
# The same flows with the `mediabatch` command line (bin/mediabatch, or `pip install .`).
#   MEDIABATCH_API=http://127.0.0.1:8080 MEDIABATCH_API_KEY=... docs/examples/cli.sh VIDEO_FILE URL...
set -euo pipefail
mediabatch() { "$(dirname "$0")/../../bin/mediabatch" "$@"; }
file="$1"; shift
mediabatch upload "$file" --parallel 4 --quiet            # run again after Ctrl-C: it resumes
mediabatch download "$@" --watch --quiet                   # exit status 1 if a job failed
id=$(mediabatch media ls --json --limit 1 | jq -r '.items[0].id')
copy=$(mediabatch media cp "$id" | cut -f2 | sed 's/copied to //')
mediabatch media rm "$copy"
mediabatch audit --limit 5
mediabatch webhooks secret
