# Shared by daemon tests (sourced after `set -euo pipefail`): a work directory, daemons started
# by name under it, each on loopback with mDNS off and no dialling of known peers (low_water 0),
# and a cleanup that kills them all. Usage: source daemons_lib.sh NAME (work: /tmp/agora-NAME.*).
agora="$(readlink -f "${AGORA_BIN:?set AGORA_BIN}")"
work="$(mktemp -d "/tmp/agora-$1.XXXXXX")"
declare -A pid
cleanup() {
  for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }
a() { local n=$1; shift; "$agora" --repo "$work/$n" "$@"; }   # a NAME ARGS...: agora on NAME's repo
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }  # field PY-EXPR on d
init() {  # init NAME: a repo for a loopback daemon
  a "$1" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
  sed -i -e 's/^mdns = true/mdns = false/' -e 's/^low_water = 32/low_water = 0/' "$work/$1/config.toml"
}
start() {  # start NAME [DAEMON OPTIONS]: its daemon, until it says ready
  : >"$work/$1.log"
  "$agora" --repo "$work/$1" daemon "${@:2}" >"$work/$1.log" 2>&1 &
  pid[$1]=$!
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
stop() { kill -TERM "${pid[$1]}"; wait "${pid[$1]}" || true; unset "pid[$1]"; }
addr() { grep -m1 '^listening' "$work/$1.log" | cut -d' ' -f2; }   # addr NAME: its multiaddr
# eventually TENTHS CMD...: polls CMD until it succeeds, up to TENTHS tenths of a second.
eventually() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
