#!/usr/bin/env bash
# scripts/demo interrupted: Ctrl-C (SIGINT to its process group, as a terminal sends it) while
# peer-1 adds the file, and SIGTERM to the script alone (as `timeout` or `kill` sends it) while
# the peers fetch. Each time the demo exits with 130/143, its temporary directory is gone and no
# daemon of its testnet is left running. Also `scripts/demo --help`. The file is 128 MiB so that
# each phase lasts seconds: the signal lands inside it (the demo cannot have moved on).

set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/agora-demo-int.XXXXXX)"
demo_pid=""
cleanup() {
  [[ -z "$demo_pid" ]] || kill -KILL -- "-$demo_pid" 2>/dev/null || true
  for d in "$work"/tmp-*/agora-demo.*/testnet; do
    [[ -d "$d" ]] && "$agora" testnet down --dir "$d" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.out; do echo "--- $f" >&2; tail -30 "$f" >&2; done; exit 1; }

"$root/scripts/demo" --help >"$work/help.out" || fail "scripts/demo --help failed"
grep -q '^usage: scripts/demo' "$work/help.out" || fail "no usage in --help"
grep -q 'scripts/setup' "$work/help.out" || fail "--help does not say what the first run installs"
if "$root/scripts/demo" --bogus >/dev/null 2>"$work/bogus.out"; then fail "--bogus accepted"; fi
grep -q "unknown argument '--bogus'" "$work/bogus.out" || fail "--bogus not named"

# Daemons whose repo is under $1, still running.
daemons_under() { ps -eo args= | grep -F -- "--repo $1" | grep -v grep || true; }

# interrupt SIGNAL WHEN EXPECTED_RC: runs the demo with its own TMPDIR, waits for the line that
# starts step WHEN, sends SIGNAL (INT to the process group, TERM to the script), checks cleanup.
interrupt() {
  local signal="$1" when="$2" expected="$3" tmp="$work/tmp-$1"
  mkdir -p "$tmp"
  set -m  # the demo in its own process group, with SIGINT not ignored as in a background job
  TMPDIR="$tmp" AGORA_BIN="$agora" "$root/scripts/demo" --peers 3 --mib 128 >"$work/$signal.out" 2>&1 &
  demo_pid=$!
  set +m
  for _ in $(seq 600); do
    grep -q "$when" "$work/$signal.out" && break
    kill -0 "$demo_pid" 2>/dev/null || fail "the demo ended before '$when'"
    sleep 0.1
  done
  grep -q "$when" "$work/$signal.out" || fail "the demo did not reach '$when' in 60 s"
  local demo_dir
  demo_dir=$(echo "$tmp"/agora-demo.*)
  [[ -d "$demo_dir" ]] || fail "no demo directory under $tmp"
  [[ -n "$(daemons_under "$demo_dir")" ]] || fail "no testnet daemons running before the $signal"
  if [[ $signal == INT ]]; then kill -INT -- "-$demo_pid"; else kill -TERM "$demo_pid"; fi
  local rc=0
  wait "$demo_pid" || rc=$?
  demo_pid=""
  ((rc == expected)) || fail "the demo exited with $rc after SIG$signal, not $expected"
  [[ -z "$(ls -A "$tmp")" ]] || fail "SIG$signal left $(ls -A "$tmp") in $tmp"
  local left
  left=$(daemons_under "$demo_dir")
  [[ -z "$left" ]] || fail "SIG$signal left daemons running: $left"
  echo "SIG$signal while '$when': exit $rc, nothing left"
}

interrupt INT "adds a generated" 130
interrupt TERM "fetch .* by CID alone" 143
