"""`make bench`: every benchmark in turn."""

from __future__ import annotations

import sys

from bench import hub_inbox, page_weight, pdf

if __name__ == "__main__":
    sys.exit(page_weight.main() or pdf.main() or hub_inbox.main())
