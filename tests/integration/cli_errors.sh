#!/usr/bin/env bash
# The CLI's errors, version and logging through the real binary (docs/cli.md):
#   - errors: plain text, or one JSON object {kind, message, exit_code} on stderr under --json
#     (stdout stays empty); the documented exit codes (1 failed, 64 usage, 69 no daemon);
#   - a typo'd or incomplete subcommand names the word, suggests the closest command and lists
#     the commands; a subcommand's --help shows the global options;
#   - a port clash at start names the config key and the address;
#   - `agora version` / `--version`: version, git commit, libraries; --json;
#   - the daemon's log: timestamps and levels on stderr or in --log-file, with the start-up lines
#     on stdout unchanged; --log-level filters; `agora events` shows times.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-cli.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -40 "$f" >&2; done; exit 1; }
# Runs the CLI; its stdout in $out, stderr in $err, exit code in $rc.
run() {
  rc=0
  "$agora" "$@" >"$work/out" 2>"$work/err" || rc=$?
  out=$(cat "$work/out") err=$(cat "$work/err")
}
expect_rc() { [[ $rc == "$1" ]] || fail "$2: exit code $rc, not $1 (stdout: $out; stderr: $err)"; }
expect_err() { grep -qF -- "$1" <<<"$err" || fail "$2: stderr lacks '$1': $err"; }
# A JSON error on stderr: one line, with kind $1 and exit_code $rc; stdout empty. A daemon's
# stderr also holds its log, as JSON lines {time, level, message} before the error.
expect_json_error() {
  [[ -z "$out" ]] || fail "$2: stdout is not empty under an error: $out"
  python3 - "$1" "$rc" "$err" <<'PY' || fail "$2: not the JSON error expected: $err"
import json, sys
kind, rc, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = [json.loads(l) for l in text.splitlines()]
errors = [l for l in lines if "kind" in l]
assert len(errors) == 1 and lines[-1] is errors[0], lines
assert all(set(l) == {"time", "level", "message"} and isinstance(l["level"], str) for l in lines[:-1]), lines
e = errors[0]
assert e["kind"] == kind, e
assert e["exit_code"] == rc, e
assert isinstance(e["message"], str) and e["message"], e
PY
}
init() {
  "$agora" --repo "$work/$1" init --listen "${2:-/ip4/127.0.0.1/tcp/0}" --api "${3:-127.0.0.1:0}" \
    >/dev/null
  sed -i -e 's/^mdns = true/mdns = false/' "$work/$1/config.toml"
}
start() {
  local name="$1"; shift
  : >"$work/$name.log"
  "$agora" --repo "$work/$name" daemon "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^ready' "$work/$name.log" && return; sleep 0.1; done
  fail "$name did not become ready"
}

# --- No daemon: exit code 69, kind no_daemon.
init none
run --repo "$work/none" swarm peers
expect_rc 69 "no daemon"
expect_err "error: no agora daemon is running for $work/none" "no daemon"
run --repo "$work/none" --json swarm peers
expect_rc 69 "no daemon, --json"
expect_json_error no_daemon "no daemon, --json"
run --repo "$work/none" swarm peers --json  # --json after the command too
expect_json_error no_daemon "no daemon, --json after the command"

# --- Usage errors: exit code 64, the unknown word, a suggestion, the commands.
run addd
expect_rc 64 "agora addd"
expect_err "unknown command 'addd' for 'agora'; did you mean 'add'?" "agora addd"
expect_err "commands of 'agora':" "agora addd"
grep -Eq '^  init +Create a repo' <<<"$err" || fail "agora addd does not list the commands: $err"
run --repo "$work/none" swarm peer
expect_rc 64 "agora swarm peer"
expect_err "unknown command 'peer' for 'agora swarm'; did you mean 'peers'?" "agora swarm peer"
grep -Eq '^  limits ' <<<"$err" || fail "agora swarm peer does not list swarm's commands: $err"
run pin
expect_rc 64 "agora pin"
expect_err "'agora pin' needs a command" "agora pin"
for c in add rm ls; do grep -Eq "^  $c " <<<"$err" || fail "agora pin does not list $c: $err"; done
run
expect_rc 64 "agora"
expect_err "'agora' needs a command" "agora"
run zzzzzz
expect_err "unknown command 'zzzzzz' for 'agora'" "agora zzzzzz"
grep -q "did you mean" <<<"$err" && fail "a suggestion for a word like no command: $err"
run --json addd
expect_rc 64 "agora --json addd"
expect_json_error usage "agora --json addd"
python3 -c 'import json,sys; e=json.loads(sys.argv[1]); assert e["unknown"]=="addd" and e["suggestion"]=="agora add" and "init" in e["commands"], e' "$err" \
  || fail "the JSON usage error lacks the word, suggestion or commands: $err"
run ping
expect_rc 64 "agora ping without an address"
expect_err "peer is required" "agora ping without a peer"
run add --no-such-flag
expect_rc 64 "an unknown flag"
expect_err "unknown option '--no-such-flag' for 'agora add'" "an unknown flag"
run swarm --no-such-flag
expect_rc 64 "an unknown flag before a subcommand"
expect_err "unknown option '--no-such-flag' for 'agora swarm'" "an unknown flag before a subcommand"
run swarm peers --help
expect_rc 0 "swarm peers --help"
for o in --json --repo --api-tcp; do grep -q -- "$o" <<<"$out" || fail "swarm peers --help lacks $o: $out"; done

# --- version and --version.
run version
expect_rc 0 "agora version"
grep -Eq '^agora [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out" || fail "no version line: $out"
grep -Eq '^commit ([0-9a-f]{40}( \(with uncommitted changes\))?|unknown \(not built from a git checkout\))$' <<<"$out" \
  || fail "no commit line: $out"
for lib in OpenSSL SQLite Asio CLI11 fmt spdlog 'toml\+\+' nlohmann-json cpp-httplib; do
  grep -Eq "^  $lib +[0-9]+\.[0-9]+" <<<"$out" || fail "agora version lacks $lib: $out"
done
version_text=$out
run --version
[[ "$out" == "$version_text" ]] || fail "--version differs from agora version: $out"
run --json version
python3 -c 'import json,sys; v=json.loads(sys.argv[1]); assert v["version"] and v["dependencies"]["OpenSSL"]["built"] and v["dependencies"]["SQLite"]["loaded"] and "commit" in v, v' "$out" \
  || fail "agora --json version: $out"

# --- A daemon: its errors are the daemon's kinds; its log has times and levels.
init a
run --repo "$work/a" daemon --log-level loud
expect_rc 64 "a bad --log-level"
run --repo "$work/a" --json daemon --log-file "$work/a/config.toml/a.log"  # under a file
expect_rc 1 "an unwritable --log-file"
expect_json_error io "an unwritable --log-file"
start a --log-file "$work/a.daemon-log" --log-level debug
grep -qx ready "$work/a.log" || fail "the start-up lines on stdout changed"
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2}'
for line in "info agora/[0-9.]+ starting" "info listening /ip4/127.0.0.1/tcp/" "info ready$"; do
  grep -Eq "^$ts $line" "$work/a.daemon-log" || fail "the log file lacks '$line'"
done
a_addr=$(grep -m1 '^listening /ip4' "$work/a.log" | cut -d' ' -f2)  # /ip4/127.0.0.1/tcp/P/p2p/ID
a_port=$(cut -d/ -f5 <<<"$a_addr")
a_api=$(sed -e 's#^http://##' "$work/a/api")

run --repo "$work/a" --json cat not-a-cid
expect_rc 1 "cat of a bad CID"
expect_json_error invalid_input "cat of a bad CID"
run --repo "$work/a" cat not-a-cid
expect_err "error: " "cat of a bad CID"

# --- Port clashes name the key and the address; under --json the error is JSON.
init b "/ip4/127.0.0.1/tcp/$a_port"
run --repo "$work/b" daemon
expect_rc 1 "a listen port in use"
expect_err "/ip4/127.0.0.1/tcp/$a_port" "a listen port in use"
expect_err "change \`listen\` in config.toml" "a listen port in use"
init c /ip4/127.0.0.1/tcp/0 "$a_api"
run --repo "$work/c" --json daemon
expect_rc 1 "an API port in use"
expect_json_error io "an API port in use"
grep -qF "$a_api" <<<"$err" || fail "the API clash does not name $a_api: $err"
grep -qF "change \`api_address\` in $work/c/config.toml" <<<"$err" || fail "the API clash names no key: $err"

# --- Events are logged at their levels, with times; `agora events` shows times; warn filters.
init d
start d --log-level warn
run --repo "$work/d" swarm connect "$a_addr"
expect_rc 0 "swarm connect"
for _ in $(seq 50); do
  grep -Eq "^$ts debug event #[0-9]+ connection_opened inbound" "$work/a.daemon-log" && break
  sleep 0.1
done
grep -Eq "^$ts debug event #[0-9]+ connection_opened inbound" "$work/a.daemon-log" \
  || fail "a's debug log has no connection_opened event"
grep -Eq "^$ts " "$work/d.log" && fail "d logs below warn: $(cat "$work/d.log")"
grep -qx ready "$work/d.log" || fail "d's start-up lines are missing"
run --repo "$work/a" events
grep -Eq '^#[0-9]+ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+ connection_opened' <<<"$out" \
  || fail "agora events shows no time: $out"
# In a terminal (stdout and stderr the same), each start-up line shows once.
init e
script -qec "timeout -s INT 3 $agora --repo $work/e daemon" /dev/null | tr -d '\r' >"$work/e.tty" || true
[[ $(grep -c 'listening /ip4/127.0.0.1/tcp/' "$work/e.tty") == 1 ]] || fail "a terminal shows: $(cat "$work/e.tty")"
[[ $(grep -cx 'ready' "$work/e.tty") == 1 ]] || fail "a terminal shows no single 'ready': $(cat "$work/e.tty")"
grep -Eq "^$ts info agora/[0-9.]+ starting" "$work/e.tty" || fail "a terminal shows no timestamped log line"
echo "cli errors, version and logging: ok"
