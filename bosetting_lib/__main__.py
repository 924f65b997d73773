"""``python -m bosetting_lib`` runs the command line."""

import sys

from bosetting_lib.cli import main

sys.exit(main())
