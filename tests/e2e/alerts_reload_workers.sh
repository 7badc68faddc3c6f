#!/usr/bin/env bash
# alerts_reload_workers.sh - alerts_reload.sh with `vigil analyze -i
# --workers 2` (docs/pipeline.md, docs/alerts.md "Reload"): a SIGHUP reload
# reaches every worker (the one carrying the flows and the idle one), the
# flows and their flowbits survive it, and a second reload (the failing
# one) is served after the first engine was retired.
WORKERS=2 exec "$(dirname "$0")/alerts_reload.sh" "$@"
