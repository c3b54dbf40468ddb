"""`make bench`: every benchmark in turn (about 15 minutes; each also runs alone). Not here, for
their length: `python -m bench.kills` (a hundred kills on each database, about 15 minutes).
`bench.pages` needs wrk (`apt-get install wrk`)."""

from __future__ import annotations

import sys

from bench import (
    autosave,
    hub_inbox,
    low_spec,
    page_weight,
    pages,
    pdf,
    reports,
    stalls,
    upload_memory,
)

if __name__ == "__main__":
    benchmarks = (
        page_weight,
        pages,
        pdf,
        hub_inbox,
        reports,
        autosave,
        stalls,
        upload_memory,
        low_spec,
    )
    sys.exit(max(benchmark.main() for benchmark in benchmarks))
