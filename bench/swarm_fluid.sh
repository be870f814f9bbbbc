#!/usr/bin/env bash
# One seed to N downloaders over loopback, every peer's upload capped at the same U bytes/s
# (issue 12, benchmark 3), agora and libtorrent in the same setup, in an order alternated per
# round. The target: the last downloader finishes within 1.2x the fluid-model bound
#   T_min = max(F/u_s, F/d_min, N*F/(u_s + sum u_i))
# here with u_s = u_i = U and no download cap (d_min unbounded): T_min = max(F/U, N*F/((N+1)*U)),
# which is F/U (the seed must send every byte at least once).
#   agora        N+1 fresh daemons per round (fresh repos), each `agora daemon --upload-rate U`;
#                every downloader `agora swarm connect`s to the seed and to every downloader
#                before it (a full mesh, checked with `agora swarm peers`); the seed adds a
#                random F-byte file; then all N `agora get <cid> -o PATH` start at once, each
#                timed from the common start to its exit. Every daemon's
#                agora_xfer_leaf_bytes_sent_total is read afterwards (what each uploaded).
#   libtorrent   N+1 libtorrent 2.0 sessions (bench/bittorrent_peer.py swarm), one process each,
#                lt.default_settings() with upload_rate_limit = U (applied on loopback too),
#                TCP only, plaintext, a v1 torrent of the same file with --piece-bytes pieces
#                (default 1 MiB, agora's leaf size); on the common start each peer connects to
#                the seed and to every peer before it; each finish is the time the session holds
#                every piece hash-checked. Finished peers keep serving until all are done.
# Every output is compared with the source (cmp) after its round, outside the timing. Reports
# per round and tool: every downloader's finish time, the last, last/T_min, what the seed and
# each downloader uploaded (payload bytes; the seed's in copies of the file), the CPU seconds
# the peers used and the machine's busy share during the timed part.
# The timed part of each round runs under the machine's build lock (flock -o
# $BENCH_LOCK, default /tmp/agora-build.lock) so no compile runs meanwhile; daemons and peers
# are started before it and never hold it.
# The seed's wire rate is checked too: the bytes its connections sent (`agora swarm peers`
# bytes_sent, Noise and yamux framing included; libtorrent: total_upload) over the last finish.
# --trace (a diagnosis, not for figures: it runs 2(N+1) `agora metrics` calls a second) samples
# every daemon's xfer leaf bytes sent and received once a second during the agora part and
# prints the timeline.
# Usage: bench/swarm_fluid.sh [--peers N] [--bytes F] [--rate U] [--rounds R] [--piece-bytes P]
#          [--agora PATH] [--no-libtorrent] [--trace] [--keep]
#   defaults: N = 8, F = 64 MiB, U = 4000000 (4 MB/s), R = 2, P = 1 MiB
# Needs an agora binary (build/release/src/app/agora or --agora) and python3-libtorrent
# (scripts/setup). Never run in CI. Kills everything it started when it exits, also on error.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench_lib.sh
source "$here/bench_lib.sh"
PY=/usr/bin/python3  # the Debian interpreter: python3-libtorrent lives there
PEERS=8
BYTES=$((64 << 20))
RATE=4000000
ROUNDS=2
PIECE_BYTES=$((1 << 20))
LIBTORRENT=1
KEEP=0
TRACE=0
LOCK="${BENCH_LOCK:-/tmp/agora-build.lock}"
while (($#)); do
  case "$1" in
    --peers) PEERS="$2"; shift 2 ;;
    --bytes) BYTES="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --piece-bytes) PIECE_BYTES="$2"; shift 2 ;;
    --agora) AGORA="$2"; shift 2 ;;
    --no-libtorrent) LIBTORRENT=0; shift ;;
    --keep) KEEP=1; shift ;;
    --trace) TRACE=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done
[[ -x "$AGORA" ]] || { echo "no agora binary at $AGORA (use --agora)" >&2; exit 1; }
((LIBTORRENT == 0)) || "$PY" -c 'import libtorrent' 2>/dev/null ||
  { echo "python3-libtorrent is missing for $PY (scripts/setup installs it)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/agora-swarm-fluid.XXXXXX)"
cleanup() {
  bench_stop_all
  if ((KEEP)); then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
metric() { "$AGORA" --repo "$1" metrics | awk -v m="$2" '$1 == m { print $2 }'; }
seed_wire() {  # seed_wire REPO: bytes the daemon's open connections sent (framing included)
  "$AGORA" --json --repo "$1" swarm peers | "$PY" -c 'import json, sys; print(sum(p["bytes_sent"] for p in json.load(sys.stdin)))'
}
verify() { cmp "$WORK/src/file.bin" "$1" || fail "$1 differs from the source"; }

# The timed part, run under the lock. timed.sh MODE DIR N PIDFILE [AGORA CID]
#   agora: starts the N gets at once, waits for all; libtorrent: writes DIR/c/go (start time and
#   ports), waits for DIR/c/done.1..N. Prints "start T0", "end I T RC" per downloader (agora), and
#   "cpu SECONDS" (the peers' user+system CPU over the span) and "busy CORES" (the machine's).
cat >"$WORK/timed.sh" <<'EOF'
set -euo pipefail
mode="$1" dir="$2" n="$3" pidfile="$4" agora="${5:-}" cid="${6:-}"
hz=$(getconf CLK_TCK)
cpu_all() {  # user+system ticks of the processes in $pidfile
  local t=0 p
  for p in $(cat "$pidfile"); do
    t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat")))
  done
  echo "$t"
}
stat_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }
c0=$(cpu_all); read -r b0 all0 < <(stat_busy)
t0=$EPOCHREALTIME
if [[ $mode == agora && -e "$dir/trace_on" ]]; then
  (
    while [[ ! -e "$dir/trace_off" ]]; do
      line="$EPOCHREALTIME"
      for ((i = 0; i <= n; i++)); do
        line+=" $("$agora" --repo "$dir/a$i" metrics | awk '$1 == "agora_xfer_leaf_bytes_sent_total" { s = $2 } $1 == "agora_xfer_leaf_bytes_received_total" { r = $2 } END { print s "/" r }')"
      done
      echo "$line" >>"$dir/trace"
      sleep 1
    done
  ) &
  tracer=$!
fi
if [[ $mode == agora ]]; then
  for ((i = 1; i <= n; i++)); do
    (
      if "$agora" --json --repo "$dir/a$i" get "$cid" -o "$dir/out$i.bin" >"$dir/get$i.json" 2>&1; then rc=0; else rc=$?; fi
      echo "end $i $EPOCHREALTIME $rc" >"$dir/end$i"
    ) &
  done
  for ((i = 1; i <= n; i++)); do while [[ ! -e "$dir/end$i" ]]; do sleep 0.01; done; done
  if [[ -n "${tracer:-}" ]]; then touch "$dir/trace_off"; wait "$tracer"; fi
else
  { echo "$t0"; for ((i = 0; i <= n; i++)); do cat "$dir/c/port.$i"; echo; done; } >"$dir/c/go.tmp"
  mv "$dir/c/go.tmp" "$dir/c/go"
  deadline=$((SECONDS + 1800))
  for ((i = 1; i <= n; i++)); do
    while [[ ! -e "$dir/c/done.$i" ]]; do
      ((SECONDS < deadline)) || { echo "timeout waiting for peer $i" >&2; exit 1; }
      for p in $(cat "$pidfile"); do kill -0 "$p" 2>/dev/null || { echo "peer process $p exited" >&2; exit 1; }; done
      sleep 0.01
    done
  done
fi
c1=$(cpu_all); read -r b1 all1 < <(stat_busy)
echo "start $t0"
[[ $mode == agora ]] && cat "$dir"/end*
echo "cpu $(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')"
echo "busy $(awk -v b0="$b0" -v b1="$b1" -v a0="$all0" -v a1="$all1" -v n="$(nproc)" 'BEGIN { printf "%.2f", n * (b1 - b0) / (a1 - a0) }')"
EOF

mkdir -p "$WORK/src"
echo "generating $BYTES random bytes" >&2
head -c "$BYTES" /dev/urandom >"$WORK/src/file.bin"
if ((LIBTORRENT)); then
  "$PY" "$here/bittorrent_peer.py" torrent "$WORK/src/file.bin" "$WORK" --piece-bytes "$PIECE_BYTES"
fi
: >"$WORK/results.tsv"  # tool round peer seconds uploaded (peer 0 = the seed: seconds "-")
: >"$WORK/rounds.tsv"   # tool round cpu busy seed_wire_bytes

config_edits=(
  -e 's/^mdns = true/mdns = false/'
  -e 's/^low_water = .*/low_water = 0/'
  -e 's/^inbound_connections_per_ip_max = .*/inbound_connections_per_ip_max = 1024/'
  -e 's/^inbound_connections_per_group_max = .*/inbound_connections_per_group_max = 1024/'
  -e 's/^pending_inbound_handshakes_per_ip_max = .*/pending_inbound_handshakes_per_ip_max = 256/'
  -e 's/^pending_inbound_handshakes_per_group_max = .*/pending_inbound_handshakes_per_group_max = 256/'
)

run_agora() {
  local r=$1 dir="$WORK/agora$1" i j
  mkdir -p "$dir"
  local pids=() addrs=() p
  for ((i = 0; i <= PEERS; i++)); do
    "$AGORA" --repo "$dir/a$i" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
    sed -i "${config_edits[@]}" "$dir/a$i/config.toml"
    "$AGORA" --repo "$dir/a$i" daemon --upload-rate "$RATE" >"$dir/a$i.log" 2>&1 &
    pids+=($!)
    BENCH_PIDS+=($!)
  done
  for ((i = 0; i <= PEERS; i++)); do
    for _ in $(seq 400); do
      grep -qx ready "$dir/a$i.log" && break
      sleep 0.05
    done
    addrs+=("$(awk '$1 == "listening" {print $2; exit}' "$dir/a$i.log")")
    [[ -n "${addrs[$i]}" ]] || { cat "$dir/a$i.log" >&2; fail "agora daemon $i did not start"; }
  done
  local cid
  cid=$("$AGORA" --repo "$dir/a0" add -Q "$WORK/src/file.bin")
  local connects=()
  for ((i = 1; i <= PEERS; i++)); do
    (for ((j = 0; j < i; j++)); do
      "$AGORA" --repo "$dir/a$i" swarm connect "${addrs[$j]}" >/dev/null
    done) &
    connects+=($!)
  done
  for p in "${connects[@]}"; do wait "$p" || fail "swarm connect"; done
  for ((i = 0; i <= PEERS; i++)); do
    local n
    n=$("$AGORA" --json --repo "$dir/a$i" swarm peers | "$PY" -c 'import json, sys; print(len({p["peer"] for p in json.load(sys.stdin)}))')
    ((n == PEERS)) || fail "agora daemon $i has $n peers, not $PEERS"
  done
  printf '%s\n' "${pids[@]}" >"$dir/pids"
  ((TRACE == 0)) || touch "$dir/trace_on"
  local wire0
  wire0=$(seed_wire "$dir/a0")
  echo "round $r agora: $((PEERS + 1)) daemons, full mesh; waiting for $LOCK" >&2
  flock -o "$LOCK" bash "$WORK/timed.sh" agora "$dir" "$PEERS" "$dir/pids" "$AGORA" "$cid" >"$dir/timed.out" ||
    fail "agora timed part: $(cat "$dir/timed.out" "$dir"/get*.json 2>/dev/null | tail -20)"
  local t0
  t0=$(awk '$1 == "start" { print $2 }' "$dir/timed.out")
  for ((i = 1; i <= PEERS; i++)); do
    local end rc
    read -r _ _ end rc <"$dir/end$i"
    ((rc == 0)) || fail "agora get $i exited $rc: $(cat "$dir/get$i.json")"
    verify "$dir/out$i.bin"
    printf 'agora\t%s\t%s\t%s\t%s\n' "$r" "$i" "$(calc "$end - $t0")" \
      "$(metric "$dir/a$i" agora_xfer_leaf_bytes_sent_total)" >>"$WORK/results.tsv"
  done
  printf 'agora\t%s\t0\t-\t%s\n' "$r" "$(metric "$dir/a0" agora_xfer_leaf_bytes_sent_total)" >>"$WORK/results.tsv"
  printf 'agora\t%s\t%s\t%s\t%s\n' "$r" "$(awk '$1 == "cpu" { print $2 }' "$dir/timed.out")" \
    "$(awk '$1 == "busy" { print $2 }' "$dir/timed.out")" "$(($(seed_wire "$dir/a0") - wire0))" >>"$WORK/rounds.tsv"
  if ((TRACE)); then
    echo "trace, round $r: seconds since the start, then per daemon (0 = the seed) MiB of leaves sent/received" >&2
    awk -v t0="$t0" '{ printf "%6.1f", $1 - t0; for (i = 2; i <= NF; i++) { split($i, a, "/"); printf " %3d/%3d", a[1] / 1048576, a[2] / 1048576 } print "" }' "$dir/trace" >&2
  fi
  for ((i = 1; i <= PEERS; i++)); do mv "$dir/get$i.json" "$WORK/agora-r$r-get$i.json"; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  ((KEEP)) || rm -rf "$dir"
}

run_libtorrent() {
  local r=$1 dir="$WORK/bt$1" i
  mkdir -p "$dir/c"
  local pids=() p
  for ((i = 0; i <= PEERS; i++)); do
    local save="$dir/d$i"
    if ((i == 0)); then save="$WORK/src"; else mkdir -p "$save"; fi
    "$PY" "$here/bittorrent_peer.py" swarm "$WORK/plain.torrent" "$save" --index "$i" --dir "$dir/c" \
      --upload-rate "$RATE" >"$dir/p$i.log" 2>&1 &
    pids+=($!)
    BENCH_PIDS+=($!)
  done
  for ((i = 0; i <= PEERS; i++)); do
    for _ in $(seq 1200); do
      [[ -e "$dir/c/port.$i" ]] && break
      kill -0 "${pids[$i]}" 2>/dev/null || { cat "$dir/p$i.log" >&2; fail "libtorrent peer $i exited"; }
      sleep 0.05
    done
    [[ -e "$dir/c/port.$i" ]] || fail "libtorrent peer $i did not become ready"
  done
  printf '%s\n' "${pids[@]}" >"$dir/pids"
  echo "round $r libtorrent: $((PEERS + 1)) sessions; waiting for $LOCK" >&2
  flock -o "$LOCK" bash "$WORK/timed.sh" libtorrent "$dir" "$PEERS" "$dir/pids" >"$dir/timed.out" ||
    fail "libtorrent timed part: $(cat "$dir/timed.out"; tail -5 "$dir"/p*.log)"
  touch "$dir/c/stop"
  for ((i = 0; i <= PEERS; i++)); do
    for _ in $(seq 200); do [[ -e "$dir/c/final.$i" ]] && break; sleep 0.05; done
    [[ -e "$dir/c/final.$i" ]] || fail "libtorrent peer $i wrote no final figures"
  done
  local t0
  t0=$(awk '$1 == "start" { print $2 }' "$dir/timed.out")
  for ((i = 1; i <= PEERS; i++)); do
    verify "$dir/d$i/file.bin"
    printf 'libtorrent\t%s\t%s\t%s\t%s\n' "$r" "$i" \
      "$("$PY" -c "import json; print(round(json.load(open('$dir/c/done.$i'))['finished_at'] - $t0, 3))")" \
      "$("$PY" -c "import json; print(json.load(open('$dir/c/final.$i'))['payload_uploaded'])")" >>"$WORK/results.tsv"
  done
  printf 'libtorrent\t%s\t0\t-\t%s\n' "$r" \
    "$("$PY" -c "import json; print(json.load(open('$dir/c/final.0'))['payload_uploaded'])")" >>"$WORK/results.tsv"
  printf 'libtorrent\t%s\t%s\t%s\t%s\n' "$r" "$(awk '$1 == "cpu" { print $2 }' "$dir/timed.out")" \
    "$(awk '$1 == "busy" { print $2 }' "$dir/timed.out")" \
    "$("$PY" -c "import json; print(json.load(open('$dir/c/final.0'))['uploaded'])")" >>"$WORK/rounds.tsv"
  for p in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill "$p" 2>/dev/null || true
  done
  ((KEEP)) || rm -rf "$dir"
}

tools=(agora)
((LIBTORRENT)) && tools+=(libtorrent)
machine_line >&2
echo "rounds: $ROUNDS of ${tools[*]} (order alternated per round); N = $PEERS, F = $BYTES bytes, U = $RATE bytes/s" >&2
for ((r = 1; r <= ROUNDS; r++)); do
  n=${#tools[@]}
  for ((k = 0; k < n; k++)); do
    "run_${tools[$(((k + r - 1) % n))]}" "$r"
  done
done

echo
echo "one seed to $PEERS downloaders, every upload capped at $RATE bytes/s, $BYTES bytes, loopback"
"$PY" - "$WORK/results.tsv" "$WORK/rounds.tsv" "$BYTES" "$RATE" "$PEERS" "$PIECE_BYTES" <<'EOF'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
rounds = {(t, int(r)): (float(c), float(b), int(w)) for t, r, c, b, w in
          (l.split("\t") for l in open(sys.argv[2]).read().splitlines())}
F, U, N, piece = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
t_min = max(F / U, N * F / (U + N * U))
print(f"T_min = max(F/U, N*F/((N+1)*U)) = {t_min:.2f} s; target: last finish <= {1.2 * t_min:.2f} s "
      f"(libtorrent pieces: {piece} bytes)")
runs = {}
for tool, rnd, peer, secs, up in rows:
    d = runs.setdefault((tool, int(rnd)), {"finish": {}, "up": {}})
    d["up"][int(peer)] = int(up)
    if secs != "-":
        d["finish"][int(peer)] = float(secs)
print("| tool | round | first s | median s | last s | last/T_min | seed uploaded (copies) "
      "| downloaders uploaded, min-max (copies) | seed's wire MB/s | peers' CPU s | machine busy (cores) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
ratios = {}
for (tool, rnd), d in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    f = sorted(d["finish"].values())
    ups = [d["up"][p] for p in sorted(d["up"]) if p != 0]
    ratio = f[-1] / t_min
    ratios.setdefault(tool, []).append(ratio)
    cpu, busy, wire = rounds[(tool, rnd)]
    print(f"| {tool} | {rnd} | {f[0]:.2f} | {statistics.median(f):.2f} | {f[-1]:.2f} | {ratio:.2f} "
          f"| {d['up'][0] / F:.2f} | {sum(ups) / F:.2f}, {min(ups) / F:.2f}-{max(ups) / F:.2f} "
          f"| {wire / f[-1] / 1e6:.2f} | {cpu:.1f} | {busy:.2f} |")
for tool, rs in ratios.items():
    print(f"{tool}: last/T_min per round {', '.join(f'{x:.2f}' for x in rs)}; "
          f"meets 1.2x in {sum(x <= 1.2 for x in rs)} of {len(rs)}")
print("per-downloader finish seconds and payload bytes uploaded (peer 0 = the seed):")
for (tool, rnd), d in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print(f"  {tool} round {rnd}: finish " +
          " ".join(f"{p}:{d['finish'][p]:.2f}" for p in sorted(d["finish"])) +
          "; uploaded " + " ".join(f"{p}:{d['up'][p]}" for p in sorted(d["up"])))
EOF
echo "versions: $("$AGORA" version 2>/dev/null | head -1); libtorrent $("$PY" -c 'import libtorrent; print(libtorrent.__version__)' 2>/dev/null || echo -)"
machine_line
