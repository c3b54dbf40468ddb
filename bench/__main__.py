"""`make bench`: every benchmark in turn."""

from __future__ import annotations

import sys

from bench import page_weight

if __name__ == "__main__":
    sys.exit(page_weight.main())
