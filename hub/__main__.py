"""``python -m hub``: the same as ``mhub``."""

import sys

from hub.cli import main

sys.exit(main())
