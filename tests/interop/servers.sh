#!/usr/bin/env bash
# Throwaway Prosody and ejabberd instances for the interop suite
# (tests/interop.rs), listening only on 127.0.0.1, with all their state in DIR.
#
#   servers.sh start DIR    install the Debian packages if missing, make a CA
#                           and a leaf certificate for "localhost", write both
#                           configurations, start both servers, create the
#                           accounts alice, bob and carol (password "secret")
#   servers.sh stop DIR     stop both (exit 0 when they are not running)
#   servers.sh status DIR   exit 0 when both run and accept connections, 3 if not
#
# Ports (environment; saved in DIR/ports, so stop and status need them only
# at start): PROSODY_PORT (default 25222), EJABBERD_PORT (default 35222),
# EJABBERD_DIST_PORT (the Erlang distribution port, default EJABBERD_PORT+1;
# no epmd is started).
#
# Clients trust DIR/ca.pem. Both servers present the leaf certificate
# (CA:FALSE, subjectAltName DNS:localhost) followed by the CA: webpki refuses
# a self-signed CA:TRUE certificate as a server certificate, so a CA and a
# separate leaf are what every TLS stack verifies unmodified.
#
# The packages' postinst scripts would start system daemons on the default
# ports: a temporary /usr/sbin/policy-rc.d (exit 101) blocks that during the
# install when none exists, and any system instance already running is
# stopped. If a package cannot be installed, start fails.
set -euo pipefail

die() {
  echo "servers.sh: $*" >&2
  exit 1
}
[ $# -eq 2 ] || die "usage: $0 start|stop|status DIR"
CMD=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd) # the configurations need absolute paths

DOMAIN=localhost
ACCOUNTS="alice bob carol"
PASSWORD=secret

SAVED_PROSODY_PORT="" SAVED_EJABBERD_PORT="" SAVED_EJABBERD_DIST_PORT=""
# shellcheck disable=SC1091
[ -f "$DIR/ports" ] && . "$DIR/ports"
PROSODY_PORT=${PROSODY_PORT:-${SAVED_PROSODY_PORT:-25222}}
EJABBERD_PORT=${EJABBERD_PORT:-${SAVED_EJABBERD_PORT:-35222}}
EJABBERD_DIST_PORT=${EJABBERD_DIST_PORT:-${SAVED_EJABBERD_DIST_PORT:-$((EJABBERD_PORT + 1))}}
# The mnesia schema records the node name, so an ejabberd directory stays
# tied to its port.
EJABBERD_NODE="ejabberd_${EJABBERD_PORT}@localhost"

P="$DIR/prosody"
E="$DIR/ejabberd"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ----- installation -----

POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0
remove_policy_rc() {
  if [ "$POLICY_RC_OURS" -eq 1 ]; then
    as_root rm -f "$POLICY_RC"
    POLICY_RC_OURS=0
  fi
}

install_packages() {
  local missing=""
  command -v prosody >/dev/null 2>&1 && command -v prosodyctl >/dev/null 2>&1 || missing="$missing prosody"
  [ -x /usr/sbin/ejabberdctl ] || missing="$missing ejabberd"
  command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
  if [ -n "$missing" ]; then
    if [ ! -e "$POLICY_RC" ]; then
      as_root sh -c "printf '#!/bin/sh\nexit 101\n' >$POLICY_RC && chmod 755 $POLICY_RC"
      POLICY_RC_OURS=1
      trap remove_policy_rc EXIT
    fi
    local t0
    t0=$(now_ms)
    echo "installing:$missing (apt-get)"
    as_root apt-get update -qq || die "apt-get update failed"
    # shellcheck disable=SC2086
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >"$DIR/apt.log" 2>&1; then
      cat "$DIR/apt.log" >&2
      die "cannot install:$missing"
    fi
    remove_policy_rc
    trap - EXIT
    echo "installed:$missing in $(($(now_ms) - t0)) ms"
  fi
  command -v prosody >/dev/null 2>&1 || die "prosody is not installed"
  [ -x /usr/sbin/ejabberdctl ] || die "ejabberd is not installed"
  stop_system_instance prosody /run/prosody/prosody.pid
  stop_system_instance ejabberd /run/ejabberd/ejabberd.pid
}

# A daemon the package started holds the default ports and would answer
# instead of ours. Debian's sysvinit script for Prosody matches the process
# name lua5.2 and cannot stop the lua5.4 daemon, so without systemd the pid
# from the pid file is signalled directly.
stop_system_instance() { # NAME PIDFILE
  pid_alive "$2" || return 0
  local pid
  pid=$(cat "$2")
  echo "stopping the system $1 (pid $pid)"
  if [ -d /run/systemd/system ]; then as_root systemctl stop "$1" || true; fi
  kill -0 "$pid" 2>/dev/null && as_root kill -TERM "$pid" || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  die "the system $1 (pid $pid) does not stop"
}

# ----- certificates -----

make_pki() {
  local k="$DIR/pki"
  [ -s "$k/chain.pem" ] && [ -s "$DIR/ca.pem" ] && return 0
  mkdir -p "$k"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=stanzio interop CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$k/ca.key" -out "$k/ca.pem" 2>"$k/openssl.log" || die "openssl: CA ($(cat "$k/openssl.log"))"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$DOMAIN" \
    -keyout "$k/leaf.key" -out "$k/leaf.csr" 2>"$k/openssl.log" || die "openssl: leaf request"
  cat >"$k/leaf.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:$DOMAIN
EOF
  openssl x509 -req -in "$k/leaf.csr" -CA "$k/ca.pem" -CAkey "$k/ca.key" -CAcreateserial \
    -days 3650 -extfile "$k/leaf.ext" -out "$k/leaf.pem" 2>"$k/openssl.log" || die "openssl: leaf signature"
  cat "$k/leaf.pem" "$k/ca.pem" >"$k/chain.pem"
  # ejabberd reads the key and the chain from one file.
  cat "$k/leaf.key" "$k/chain.pem" >"$k/key-and-chain.pem"
  chmod 600 "$k/ca.key" "$k/leaf.key" "$k/key-and-chain.pem"
  cp "$k/ca.pem" "$DIR/ca.pem"
}

# ----- Prosody -----

prosody_config() {
  mkdir -p "$P/data"
  local root=false
  # Prosody refuses to run as root unless told to (the CI runs as root).
  [ "$(id -u)" -eq 0 ] && root=true
  cat >"$P/prosody.cfg.lua" <<EOF
-- Written by tests/interop/servers.sh on every start.
run_as_root = $root
pidfile = "$P/prosody.pid"
data_path = "$P/data"
log = { info = "$P/prosody.log"; error = "$P/prosody.err" }
plugin_paths = {}
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { $PROSODY_PORT }
c2s_interfaces = { "127.0.0.1" }
modules_disabled = { "s2s"; "s2s_auth_certs" }
modules_enabled = {
  "roster"; "saslauth"; "tls"; "disco"; "ping"; "blocklist"; "carbons";
  "smacks"; "mam"; "csi_simple"; "vcard"; "version"; "time"; "offline";
}
c2s_require_encryption = true
allow_unencrypted_plain_auth = false
allow_registration = false
authentication = "internal_hashed"
storage = "internal"
archive_expires_after = "1d"
ssl = {
  key = "$DIR/pki/leaf.key";
  certificate = "$DIR/pki/chain.pem";
  protocol = "tlsv1_2+";
}
VirtualHost "$DOMAIN"
EOF
}

prosodyctl_here() { prosodyctl --config "$P/prosody.cfg.lua" "$@"; }

prosody_start() {
  if pid_alive "$P/prosody.pid"; then
    echo "prosody already running (pid $(cat "$P/prosody.pid"))"
    return 0
  fi
  port_open "$PROSODY_PORT" && die "127.0.0.1:$PROSODY_PORT is taken by another program"
  prosody_config
  local u pids="" pid
  for u in $ACCOUNTS; do
    # register sets the password of an existing account too.
    prosodyctl_here register "$u" "$DOMAIN" "$PASSWORD" >"$P/prosodyctl-$u.log" 2>&1 &
    pids="$pids $!"
  done
  for pid in $pids; do
    wait "$pid" || die "prosody: cannot create an account: $(cat "$P"/prosodyctl-*.log)"
  done
  # Its notes (a missing optional Lua library) go to the log, not the console.
  prosody --config "$P/prosody.cfg.lua" -D >"$P/prosody.out" 2>&1 ||
    die "prosody did not start: $(cat "$P/prosody.out")"
  for _ in $(seq 1 100); do
    if port_open "$PROSODY_PORT" && pid_alive "$P/prosody.pid"; then return 0; fi
    sleep 0.1
  done
  tail -n 20 "$P/prosody.err" "$P/prosody.log" >&2 2>/dev/null || true
  die "prosody is not listening on 127.0.0.1:$PROSODY_PORT after 10 s"
}

prosody_stop() {
  pid_alive "$P/prosody.pid" || {
    rm -f "$P/prosody.pid"
    return 0
  }
  local pid
  pid=$(cat "$P/prosody.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$P/prosody.pid"
}

# ----- ejabberd -----

ejabberd_config() {
  mkdir -p "$E/logs" "$E/spool" "$E/modules" "$E/modules.d"
  # Debian's ejabberdctl switches to the user "ejabberd" when run as root;
  # this copy runs the node as whoever calls the script.
  sed "s/^INSTALLUSER=.*/INSTALLUSER=$(id -un)/" /usr/sbin/ejabberdctl >"$E/ejabberdctl"
  chmod 755 "$E/ejabberdctl"
  cat >"$E/ejabberdctl.cfg" <<EOF
# Written by tests/interop/servers.sh on every start (sourced by ejabberdctl).
ERLANG_NODE=$EJABBERD_NODE
ERL_DIST_PORT=$EJABBERD_DIST_PORT
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -kernel inet_dist_use_interface {127,0,0,1}"
EJABBERD_PID_PATH=$E/ejabberd.pid
CONTRIB_MODULES_PATH=$E/modules
CONTRIB_MODULES_CONF_DIR=$E/modules.d
EJABBERD_BYPASS_WARNINGS=true
EOF
  # The node name's host part must resolve without DNS.
  cat >"$E/inetrc" <<'EOF'
{lookup,["file","native"]}.
{host,{127,0,0,1}, ["localhost"]}.
EOF
  # Passwords stored in plain form let ejabberd offer SCRAM-SHA-1, -256 and
  # -512 (hashed storage offers only the hash it was stored with).
  cat >"$E/ejabberd.yml" <<EOF
# Written by tests/interop/servers.sh on every start.
hosts:
  - $DOMAIN
loglevel: info
log_rotate_count: 0
certfiles:
  - "$DIR/pki/key-and-chain.pem"
acme:
  auto: false
auth_method: internal
auth_password_format: plain
s2s_access: none
disable_sasl_mechanisms:
  - "digest-md5"
  - "X-OAUTH2"
c2s_protocol_options:
  - no_sslv3
  - no_tlsv1
  - no_tlsv1_1
  - cipher_server_preference
  - no_compression
listen:
  -
    port: $EJABBERD_PORT
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    access: c2s
    starttls_required: true
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    deny: blocked
    allow: all
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
shaper_rules:
  max_user_sessions: 10
  max_user_offline_messages: 100
modules:
  mod_admin_extra: {} # change_password, for a directory started before
  mod_blocking: {}
  mod_caps: {}
  mod_carboncopy: {}
  mod_client_state: {}
  mod_disco: {}
  mod_last: {}
  mod_mam:
    default: always
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_ping: {}
  mod_privacy: {}
  mod_roster:
    versioning: true
  mod_stream_mgmt:
    resend_on_timeout: if_offline
  mod_time: {}
  mod_vcard:
    search: false
  mod_version: {}
EOF
}

# ejabberdctl for this node; every call boots a short-lived Erlang VM.
ejabberdctl_here() {
  HOME="$E" "$E/ejabberdctl" --config-dir "$E" --logs "$E/logs" --spool "$E/spool" \
    --node "$EJABBERD_NODE" "$@"
}

ejabberd_start() {
  if pid_alive "$E/ejabberd.pid"; then
    echo "ejabberd already running (pid $(cat "$E/ejabberd.pid"))"
    return 0
  fi
  port_open "$EJABBERD_PORT" && die "127.0.0.1:$EJABBERD_PORT is taken by another program"
  port_open "$EJABBERD_DIST_PORT" && die "127.0.0.1:$EJABBERD_DIST_PORT (Erlang distribution) is taken"
  ejabberd_config
  rm -f "$E/ejabberd.pid"
  local fresh=0
  [ -e "$E/spool/schema.DAT" ] || fresh=1
  ejabberdctl_here start || die "ejabberd did not start (see $E/logs)"
  local up=0
  for _ in $(seq 1 300); do
    if port_open "$EJABBERD_PORT" && pid_alive "$E/ejabberd.pid"; then
      up=1
      break
    fi
    sleep 0.1
  done
  if [ $up -ne 1 ]; then
    tail -n 30 "$E/logs/error.log" "$E/logs/ejabberd.log" >&2 2>/dev/null || true
    die "ejabberd is not listening on 127.0.0.1:$EJABBERD_PORT after 30 s"
  fi
  local u registered="" pids=""
  # Every ejabberdctl call boots a VM: a fresh directory has no accounts.
  if [ $fresh -eq 0 ]; then
    registered=$(ejabberdctl_here registered_users "$DOMAIN") || die "ejabberd: registered_users failed"
  fi
  for u in $ACCOUNTS; do
    if printf '%s\n' "$registered" | grep -qx "$u"; then
      ejabberdctl_here change_password "$u" "$DOMAIN" "$PASSWORD" >/dev/null &
    else
      ejabberdctl_here register "$u" "$DOMAIN" "$PASSWORD" >/dev/null &
    fi
    pids="$pids $!"
  done
  local pid
  for pid in $pids; do wait "$pid" || die "ejabberd: cannot create an account"; done
}

ejabberd_stop() {
  pid_alive "$E/ejabberd.pid" || {
    rm -f "$E/ejabberd.pid"
    return 0
  }
  local pid
  pid=$(cat "$E/ejabberd.pid")
  # The Erlang VM answers SIGTERM with an orderly init:stop().
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$E/ejabberd.pid"
}

# ----- commands -----

start() {
  local t0
  t0=$(now_ms)
  install_packages
  make_pki
  printf 'SAVED_PROSODY_PORT=%s\nSAVED_EJABBERD_PORT=%s\nSAVED_EJABBERD_DIST_PORT=%s\n' \
    "$PROSODY_PORT" "$EJABBERD_PORT" "$EJABBERD_DIST_PORT" >"$DIR/ports"
  mkdir -p "$P" "$E"
  # Both at once: ejabberd's VM boots take most of the time.
  local t1
  t1=$(now_ms)
  prosody_start >"$DIR/prosody-start.log" 2>&1 &
  local prosody_job=$!
  ejabberd_start >"$DIR/ejabberd-start.log" 2>&1 &
  local ejabberd_job=$!
  local failed=""
  wait $prosody_job || failed="$failed prosody"
  wait $ejabberd_job || failed="$failed ejabberd"
  cat "$DIR/prosody-start.log" "$DIR/ejabberd-start.log"
  [ -z "$failed" ] || die "could not start:$failed"
  echo "prosody on 127.0.0.1:$PROSODY_PORT (pid $(cat "$P/prosody.pid")), ejabberd on" \
    "127.0.0.1:$EJABBERD_PORT (pid $(cat "$E/ejabberd.pid")); accounts $ACCOUNTS@$DOMAIN;" \
    "CA $DIR/ca.pem; servers ready in $(($(now_ms) - t1)) ms, start took $(($(now_ms) - t0)) ms"
}

stop() {
  local t0
  t0=$(now_ms)
  prosody_stop &
  local prosody_job=$!
  ejabberd_stop
  wait $prosody_job
  echo "stopped in $(($(now_ms) - t0)) ms"
}

status() {
  local state=0
  if pid_alive "$P/prosody.pid" && port_open "$PROSODY_PORT"; then
    echo "prosody running (pid $(cat "$P/prosody.pid")) on 127.0.0.1:$PROSODY_PORT"
  else
    echo "prosody not running"
    state=3
  fi
  if pid_alive "$E/ejabberd.pid" && port_open "$EJABBERD_PORT"; then
    echo "ejabberd running (pid $(cat "$E/ejabberd.pid")) on 127.0.0.1:$EJABBERD_PORT"
  else
    echo "ejabberd not running"
    state=3
  fi
  return $state
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "unknown command: $CMD (start|stop|status)" ;;
esac
