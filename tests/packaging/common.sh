# Shared by install_test.sh and deb_test.sh (sourced): failure reporting, ELF checks, and a run of
# an installed agora against a fresh repo.
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do [[ -f "$f" ]] && { echo "--- $f" >&2; tail -n 40 "$f" >&2; }; done
  exit 1
}
skip() { echo "SKIPPED: $*"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
build_id() { readelf -n "$1" 2>/dev/null | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p'; }
sections() { readelf -SW "$1" 2>/dev/null | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p'; }

# `installed_runs BIN`: --version matches the built binary's; init, a daemon on loopback that
# answers `id`, and `shutdown` stopping it cleanly.
installed_runs() {
  local bin="$1" repo="$work/repo-$RANDOM" pid rc
  [[ "$("$bin" --version)" == "$("$AGORA_BIN" --version)" ]] || fail "$bin --version differs"
  "$bin" --repo "$repo" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null \
    || fail "$bin init failed"
  sed -i -e 's/^mdns = true/mdns = false/' "$repo/config.toml"
  : >"$work/daemon.log"
  "$bin" --repo "$repo" daemon >"$work/daemon.log" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do  # until ready or dead; the bound is only for a hung daemon
    grep -q '^ready' "$work/daemon.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q '^ready' "$work/daemon.log" || { kill "$pid"; fail "$bin daemon did not become ready"; }
  local peer
  peer=$("$bin" --repo "$repo" id --json | json 'd["peer"]') || fail "$bin id failed"
  [[ "$peer" == 12D3KooW* ]] || fail "$bin id: unexpected peer '$peer'"
  "$bin" --repo "$repo" shutdown >/dev/null || fail "$bin shutdown failed"
  rc=0
  wait "$pid" || rc=$?
  ((rc == 0)) || fail "$bin daemon exited with $rc after shutdown"
  echo "ok: $bin runs: --version, init, daemon answering id ($peer), shutdown"
}
