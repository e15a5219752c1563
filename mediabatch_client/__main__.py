"""`python -m mediabatch_client`: the `mediabatch` command line (see mediabatch_client.cli)."""

import sys

from mediabatch_client.cli import main

sys.exit(main())
