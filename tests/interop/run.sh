#!/usr/bin/env bash
# The interop stage, both directions, with every server stopped afterwards
# whatever happens. Exits non-zero on any failure, including a server that
# cannot be installed or started.
#
#   1. Throwaway Prosody and ejabberd in a temporary directory (servers.sh),
#      and stanzio-server beside them with the same certificate.
#   2. The stanzio clients against Prosody and ejabberd: the Rust suite
#      tests/interop.rs.
#   3. slixmpp against stanzio-server (slixmpp_scenario.py), over TLS 1.2 and
#      1.3; first against Prosody and ejabberd, which proves the scenario.
#   4. xmpp.js, a second independent client, the same way
#      (xmppjs_scenario.mjs): installed once by `npm ci` from the pinned
#      xmppjs/package-lock.json (a failed install fails the stage), then
#      against Prosody, ejabberd and stanzio-server over TLS 1.3 and 1.2.
#
#   tests/interop/run.sh [TEST FILTER...]   (the filter goes to the Rust suite)
#
# Environment: PROSODY_PORT, EJABBERD_PORT, EJABBERD_DIST_PORT (servers.sh);
# STANZIO_SERVER_PORT (default 45222); INTEROP_TIMEOUT, the seconds the Rust
# suite may take (default 240); STANZIO_SLIXMPP_VENV (slixmpp_scenario.py);
# STANZIO_XMPPJS_DIR (xmppjs_scenario.mjs). Needs node >= 20.10 and npm.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/interop
begin=$(date +%s)
elapsed() { echo "$(($(date +%s) - begin))s"; }
say() { echo "== interop: $* ($(elapsed))"; }

export PROSODY_PORT=${PROSODY_PORT:-25222}
export EJABBERD_PORT=${EJABBERD_PORT:-35222}
STANZIO_SERVER_PORT=${STANZIO_SERVER_PORT:-45222}

# Built before any server starts: in CI the workspace steps built most of it.
say "building the suite and stanzio-server"
cargo test --locked --test interop --no-run
stanzio_server=$(cargo build --locked -p stanzio-server --bin stanzio-server \
  --message-format=json-render-diagnostics |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -x "$stanzio_server" ] || { echo "no stanzio-server binary" >&2; exit 1; }

state=$(mktemp -d)
stanzio_pid=""
finish() {
  local status=$?
  say "stopping the servers"
  if [ -n "$stanzio_pid" ] && kill -0 "$stanzio_pid" 2>/dev/null; then
    kill -TERM "$stanzio_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$stanzio_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$stanzio_pid" 2>/dev/null || true
  fi
  "$here/servers.sh" stop "$state" || status=1
  if [ "$status" -ne 0 ]; then
    echo "== interop: the servers' error logs"
    tail -n 40 "$state/prosody/prosody.err" "$state/ejabberd/logs/error.log" \
      "$state/stanzio/server.log" 2>/dev/null || true
  fi
  rm -rf "$state"
  say "$([ "$status" -eq 0 ] && echo passed || echo FAILED)"
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

say "starting Prosody and ejabberd"
"$here/servers.sh" start "$state"

say "starting stanzio-server"
mkdir -p "$state/stanzio"
cat >"$state/stanzio/stanzio-server.toml" <<EOF
domains = ["localhost"]
storage = "$state/stanzio/stanzio.sqlite"
[tls]
certificate = "$state/pki/chain.pem"
key = "$state/pki/leaf.key"
[listen]
c2s = "127.0.0.1:$STANZIO_SERVER_PORT"
EOF
for account in alice bob carol; do
  echo secret | "$stanzio_server" --config "$state/stanzio/stanzio-server.toml" \
    adduser "$account@localhost" >/dev/null
done
"$stanzio_server" --config "$state/stanzio/stanzio-server.toml" run \
  >"$state/stanzio/server.log" 2>&1 &
stanzio_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$STANZIO_SERVER_PORT") 2>/dev/null && break
  kill -0 "$stanzio_pid" 2>/dev/null || { cat "$state/stanzio/server.log" >&2; exit 1; }
  sleep 0.1
done

# Every part runs even when one before failed: the stage reports them all.
failed=""
say "stanzio clients against Prosody and ejabberd"
export STANZIO_INTEROP=1
export STANZIO_INTEROP_CA="$state/ca.pem"
export STANZIO_INTEROP_PROSODY_PORT=$PROSODY_PORT
export STANZIO_INTEROP_EJABBERD_PORT=$EJABBERD_PORT
# Two threads: the tests of one server take turns, the two servers run side
# by side.
timeout "${INTEROP_TIMEOUT:-240}" \
  cargo test --locked --test interop -- --ignored --test-threads 2 "$@" ||
  failed="$failed tests/interop.rs"

say "slixmpp against Prosody and ejabberd, then stanzio-server"
scenario() {
  local label=$1
  shift
  timeout 120 python3 "$here/slixmpp_scenario.py" --ca "$state/ca.pem" --label "$label" "$@" ||
    failed="$failed slixmpp→$label"
}
scenario prosody --port "$PROSODY_PORT"
scenario ejabberd --port "$EJABBERD_PORT"
for tls in 1.3 1.2; do
  scenario "stanzio-server(TLS $tls)" --port "$STANZIO_SERVER_PORT" --tls "$tls"
done

say "xmpp.js against Prosody and ejabberd, then stanzio-server"
xmppjs() {
  local label=$1
  shift
  timeout 60 node "$here/xmppjs_scenario.mjs" --ca "$state/ca.pem" --label "$label" "$@" ||
    failed="$failed xmpp.js→$label"
}
# Installed once, before the runs: a registry that cannot be reached fails
# the stage here, once, instead of four times.
if timeout 300 node "$here/xmppjs_scenario.mjs" --install; then
  xmppjs prosody --port "$PROSODY_PORT"
  xmppjs ejabberd --port "$EJABBERD_PORT"
  for tls in 1.3 1.2; do
    xmppjs "stanzio-server(TLS $tls)" --port "$STANZIO_SERVER_PORT" --tls "$tls"
  done
else
  failed="$failed xmpp.js(install)"
fi

if [ -n "$failed" ]; then
  echo "== interop: failed:$failed"
  exit 1
fi
