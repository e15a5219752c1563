"""`python -m mediabatch_client`: see mediabatch_client.cli."""

import sys

from mediabatch_client.cli import main

sys.exit(main())
