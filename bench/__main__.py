"""`make bench`: every benchmark in turn (about 10 minutes; each also runs alone)."""

from __future__ import annotations

import sys

from bench import autosave, hub_inbox, low_spec, page_weight, pdf, upload_memory

if __name__ == "__main__":
    benchmarks = (page_weight, pdf, hub_inbox, autosave, upload_memory, low_spec)
    sys.exit(max(benchmark.main() for benchmark in benchmarks))
