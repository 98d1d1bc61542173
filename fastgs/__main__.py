"""``python -m fastgs``: the same command line as ``fastgs`` (see :mod:`fastgs.cli`)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
