#!/usr/bin/env bash
# The benchmark suite (bench/README.md). `make bench` runs it; arguments go to the Python step:
#   bash bench/run.sh [--duration 10 --warmup 3 --connections 16 --workers auto|sync:3 ...]
#   bash bench/run.sh --scale [--articles 1000000 ...]     # the 1M-article scale check
#   make bench BENCH_ARGS="--scale"                        # the same through make
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
# The load tests send thousands of writes from one address and one account: the rate limits
# (README, "Security") would answer most of them 429. The account lockout stays on.
export RATE_LIMITS=off
[[ -x $PY ]] || { echo "error: no .venv; run 'make install' first." >&2; exit 1; }

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk is not installed; installing the Debian package."
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  if ! { $SUDO apt-get install -y wrk || { $SUDO apt-get update && $SUDO apt-get install -y wrk; }; }; then
    echo "error: could not install wrk; install it (apt-get install wrk, or from" \
      "https://github.com/wg/wrk) and run again." >&2
    exit 1
  fi
fi

# shellcheck disable=SC2086 # BENCH_ARGS is a list of words on purpose
set -- ${BENCH_ARGS:-} "$@"
if [[ ${1:-} == "--scale" ]]; then
  shift
  exec "$PY" bench/scale.py "$@"
fi
"$PY" bench/loadtest.py "$@"
# The webhook path (bench/webhooks.py, docs/webhooks.md): POST /articles with and without
# endpoints, and the webhooks per second the default worker delivers. BENCH_WEBHOOKS=off skips it.
if [[ ${BENCH_WEBHOOKS:-on} != off ]]; then
  "$PY" bench/webhooks.py
fi
# The background half (issue 21): the drain of a 20 s burst of POST /articles and POST with
# the worker running (bench/drain.py), then the mix for five minutes with the worker
# (bench/soak.py): the backlog at the end and the commit-to-effect median.
# BENCH_WORKER=off skips both.
if [[ ${BENCH_WORKER:-on} != off ]]; then
  "$PY" bench/drain.py
  "$PY" bench/soak.py --duration "${BENCH_SOAK_SECONDS:-300}"
fi
