#!/usr/bin/env bash
# The interop stage: throwaway Prosody and ejabberd in a temporary directory
# (servers.sh), the live Rust suite tests/interop.rs against both, and the
# servers stopped afterwards whatever happens. Exits non-zero on any failure,
# including a server that cannot be installed or started.
#
#   tests/interop/run.sh [TEST FILTER...]
#
# Environment: PROSODY_PORT, EJABBERD_PORT, EJABBERD_DIST_PORT (servers.sh);
# INTEROP_TIMEOUT, the seconds the suite may take (default 240).
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/interop
begin=$(date +%s)
elapsed() { echo "$(($(date +%s) - begin))s"; }

export PROSODY_PORT=${PROSODY_PORT:-25222}
export EJABBERD_PORT=${EJABBERD_PORT:-35222}

# Built before the servers start: in CI the workspace tests built it already.
echo "== interop: building the suite ($(elapsed))"
cargo test --locked --test interop --no-run

state=$(mktemp -d)
finish() {
  local status=$?
  echo "== interop: stopping the servers ($(elapsed))"
  "$here/servers.sh" stop "$state" || status=1
  if [ "$status" -ne 0 ]; then
    echo "== interop: the servers' error logs"
    tail -n 40 "$state/prosody/prosody.err" "$state/ejabberd/logs/error.log" 2>/dev/null || true
  fi
  rm -rf "$state"
  echo "== interop: $([ "$status" -eq 0 ] && echo passed || echo FAILED) ($(elapsed))"
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

echo "== interop: starting Prosody and ejabberd ($(elapsed))"
"$here/servers.sh" start "$state"

echo "== interop: the suite ($(elapsed))"
export STANZIO_INTEROP=1
export STANZIO_INTEROP_CA="$state/ca.pem"
export STANZIO_INTEROP_PROSODY_PORT=$PROSODY_PORT
export STANZIO_INTEROP_EJABBERD_PORT=$EJABBERD_PORT
# Two threads: the tests of one server take turns, the two servers run side
# by side.
timeout "${INTEROP_TIMEOUT:-240}" \
  cargo test --locked --test interop -- --ignored --test-threads 2 "$@"
