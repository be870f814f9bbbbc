#!/usr/bin/env bash
# One seed to one downloader over loopback, the same random file, side by side in one run
# (issue 12, benchmark 1). Each round runs every tool once, in an order rotated per round:
#   agora        `agora get <cid> -o PATH --peer <seed>` over /agora/xfer/1.0.0 (Noise-encrypted,
#                SHA-256-verified, written straight into PATH), a fresh downloader repo and daemon
#                each round; the seed's agora_xfer_leaf_bytes_sent_total must grow by the file's
#                size, so every round is a real network transfer
#   libtorrent   libtorrent 2.0 (Debian python3-libtorrent) seed with high_performance_seed(),
#                plaintext, TCP, v1 torrent (SHA-1 pieces); a fresh downloader session each round,
#                connected straight to the seed; timed from the seed's first payload byte to
#                finished (add_torrent to that byte, about 0.5 s of ticks, is start-up, reported
#                apart)
#   perf         `agora perf <seed> --upload 0 --download BYTES`: one Noise + yamux stream, no
#                disk, no hashing: the ceiling of agora's connection
#   aria2        aria2c downloading the same torrent from the libtorrent seed (via a one-peer
#                tracker the seed process serves), timed from the seed's first payload byte to
#                aria2's "Seeding is over." (its 1-second ticks before and after are start-up,
#                reported apart)
#   transmission transmission-cli 3.00 downloading the same torrent from the libtorrent seed, a
#                fresh config dir each round, TCP, plaintext preferred, no DHT/PEX/LPD/port
#                mapping/blocklist; timed from the seed's first payload byte to its log line
#                'State changed from "Incomplete" to "Complete"' (every piece hash-checked). Its
#                tracker announce, then up to 10 s until its rechoke pulse tells the seed it is
#                interested, are start-up, reported apart; it exits once complete (seed ratio 0).
#                Its debug log shows it sending requests in one burst a second, sized to its
#                measured rate (4 blocks of 16 KiB at first) and at most the 2000 the seed allows
#                queued: about 33 MB/s at most from one peer, after some 4 s of ramp
# transmission drops peers in 0/8, 127/8 and 224/3 as martian, so it gets the seed at a second
# address outside them: one in 198.18.0.0/15 (RFC 2544's benchmarking block, so no real network's),
# added to lo as a /32 for the run and removed at exit. The seed also listens there, and the
# tracker answers transmission's torrent with it. Traffic to a local address still goes through
# the loopback device, like 127.0.0.1. Adding it needs root (CAP_NET_ADMIN); without root the
# transmission row is skipped. (A trial on 2026-12-07 gave it the seed at the machine's own
# 192.0.2.2 and saw no connection in 60 s. Not for the address: with the seed listening there,
# transmission's debug log shows it opening the connection over uTP, which it tries first for a
# tracker peer and the seed does not serve, and dropping that handshake 30 s later. uTP is off.)
# Reports MB/s per round (MB = 10^6 bytes), the median and min-max, CPU seconds per GiB of the
# sender and the receiver (from /proc/<pid>/stat and the clients' own rusage), the ratio of
# agora's rate to each other tool's per round, and the machine line. Every output is compared
# with the source file (cmp) after its round, outside the timing.
# Usage: bench/transfer_vs_bittorrent.sh [--bytes N] [--rounds N] [--piece-bytes N]
#          [--tools agora,libtorrent,perf,aria2,transmission] [--agora PATH] [--keep]
# Needs an agora binary (build/release/src/app/agora or --agora), python3-libtorrent and, for
# their rows, aria2 and transmission-cli (scripts/setup installs all three). Never run in CI.
# Kills everything it started and removes the address it added when it exits, also on error:
# safe under `flock -o` on the build lock.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench_lib.sh
source "$here/bench_lib.sh"
PY=/usr/bin/python3  # the Debian interpreter: python3-libtorrent lives there, not in a pyenv
BYTES=$((1 << 30))
ROUNDS=3
PIECE_BYTES=$((4 << 20))
TOOLS=agora,libtorrent,perf,aria2,transmission
KEEP=0
while (($#)); do
  case "$1" in
    --bytes) BYTES="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --piece-bytes) PIECE_BYTES="$2"; shift 2 ;;
    --tools) TOOLS="$2"; shift 2 ;;
    --agora) AGORA="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done
[[ -x "$AGORA" ]] || { echo "no agora binary at $AGORA (use --agora)" >&2; exit 1; }
"$PY" -c 'import libtorrent' 2>/dev/null ||
  [[ ",$TOOLS," != *,libtorrent,* && ",$TOOLS," != *,aria2,* && ",$TOOLS," != *,transmission,* ]] ||
  { echo "python3-libtorrent is missing for $PY (scripts/setup installs it)" >&2; exit 1; }
tools=()
for t in ${TOOLS//,/ }; do
  case "$t" in
    aria2) command -v aria2c >/dev/null || { echo "aria2c not installed: skipping aria2" >&2; continue; } ;;
    transmission)
      command -v transmission-cli >/dev/null ||
        { echo "transmission-cli not installed: skipping transmission" >&2; continue; }
      ((EUID == 0)) || { echo "transmission needs root to add an address to lo: skipping it" >&2; continue; }
      ;;
    agora | libtorrent | perf) ;;
    *) echo "unknown tool: $t" >&2; exit 64 ;;
  esac
  tools+=("$t")
done

WORK="$(mktemp -d /tmp/agora-xfer-bt.XXXXXX)"
OUTSIDE_IP="" OUTSIDE_ADDED=0  # the seed's address for transmission, once added to lo
cleanup() {
  bench_stop_all
  if ((OUTSIDE_ADDED)); then ip addr del "$OUTSIDE_IP/32" dev lo || echo "could not remove $OUTSIDE_IP from lo" >&2; fi
  if ((KEEP)); then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "FAIL: $*" >&2
  for f in "$WORK"/*.log; do [[ -e "$f" ]] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done
  exit 1
}
now() { echo "$EPOCHREALTIME"; }
cpu_s() {  # cpu_s PID -> user+system CPU seconds of the process (all its threads)
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}
time_cpu() {  # time_cpu FILE: user+system seconds from a `/usr/bin/time -f '%U %S'` file
  awk 'END { printf "%.2f", $1 + $2 }' "$1"
}
metric() { "$AGORA" --repo "$WORK/$1" metrics | awk -v m="$2" '$1 == m { print $2 }'; }
record() {  # record TOOL ROUND SECONDS SENDER_CPU RECEIVER_CPU [STARTUP_SECONDS]
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:--}" >>"$WORK/results.tsv"
  printf '  round %s %-12s %8.3f s %9.1f MB/s  cpu sender %6.2f s receiver %6.2f s  start-up %s s\n' \
    "$2" "$1" "$3" "$(calc "$BYTES / 1e6 / $3")" "$4" "$5" "${6:--}" >&2
}
json_field() { "$PY" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
upload_start() {  # upload_start T0: when the libtorrent seed began sending after T0 (its log)
  awk -v t0="$1" '$1 > t0 { print; exit }' "$WORK/bt/upload-starts" 2>/dev/null
}
# record_client TOOL ROUND T0 SENDER_CPU DONE_AT DIR: a BitTorrent client's round, timed from the
# seed's first payload byte after T0 to DONE_AT (the completion line of its log, a date), its
# receiver CPU from $WORK/time.txt and the time before that byte as start-up; then DIR's copy is
# checked.
record_client() {
  local tool=$1 r=$2 t0=$3 sender_cpu=$4 done_at=$5 dir=$6 up
  up=$(upload_start "$t0")
  [[ -n "$up" ]] || fail "$tool: the seed logged no upload"
  [[ -n "$done_at" ]] || fail "$tool: no completion line in its log"
  done_at=$(date -d "$done_at" +%s.%N)
  record "$tool" "$r" "$(calc "$done_at - $up")" "$sender_cpu" "$(time_cpu "$WORK/time.txt")" \
    "$(calc "$up - $t0")"
  verify "$dir/file.bin"
}
verify() {  # verify FILE: byte-identical to the source
  cmp "$WORK/src/file.bin" "$1" || fail "$1 differs from the source"
}

mkdir -p "$WORK/src" "$WORK/out" "$WORK/bt"
echo "generating $BYTES random bytes" >&2
head -c "$BYTES" /dev/urandom >"$WORK/src/file.bin"

no_mdns='s/^mdns = true/mdns = false/'
start_daemon seed "$no_mdns" || fail "seed daemon"
SEED_PID=$DAEMON_PID SEED_ADDR=$DAEMON_ADDR
t0=$(now)
CID=$("$AGORA" --repo "$WORK/seed" add -Q "$WORK/src/file.bin")
ADD_SECONDS=$(calc "$(now) - $t0")
echo "agora add: $CID in $ADD_SECONDS s" >&2

if [[ " ${tools[*]} " == *" perf "* ]]; then
  start_daemon perfclient "$no_mdns" || fail "perf client daemon"
  PERF_PID=$DAEMON_PID
fi

needs_bt=0
for t in "${tools[@]}"; do [[ $t == libtorrent || $t == aria2 || $t == transmission ]] && needs_bt=1; done
outside=()
if [[ " ${tools[*]} " == *" transmission "* ]]; then
  # One address of 198.18.0.0/15 per run (from the PID), so that two runs at once are unlikely to
  # share one, which the first to finish would take from the other.
  OUTSIDE_IP="198.18.$((($$ >> 8) % 256)).$(($$ % 256))"
  ip addr add "$OUTSIDE_IP/32" dev lo label lo:agora-bt || fail "could not add $OUTSIDE_IP/32 to lo"
  OUTSIDE_ADDED=1
  outside=(--outside-ip "$OUTSIDE_IP")
fi
if ((needs_bt)); then
  "$PY" "$here/bittorrent_peer.py" seed "$WORK/src/file.bin" "$WORK/bt" --piece-bytes "$PIECE_BYTES" \
    "${outside[@]}" >"$WORK/btseed.log" 2>&1 &
  BT_PID=$!
  BENCH_PIDS+=("$BT_PID")
  for _ in $(seq 1200); do
    grep -qx ready "$WORK/btseed.log" && break
    kill -0 "$BT_PID" 2>/dev/null || fail "the libtorrent seed exited"
    sleep 0.1
  done
  grep -qx ready "$WORK/btseed.log" || fail "the libtorrent seed did not become ready"
  BT_PORT=$(awk '$1 == "listening" { print $2 }' "$WORK/btseed.log")
fi

run_agora() {  # a fresh downloader repo and daemon each round: nothing to copy locally
  local r=$1 name="dl$1" out="$WORK/out/agora.bin"
  start_daemon "$name" "$no_mdns" || fail "downloader daemon $name"
  local dl_pid=$DAEMON_PID sent0 s0 d0 t0 t1 sent1
  sent0=$(metric seed agora_xfer_leaf_bytes_sent_total)
  s0=$(cpu_s "$SEED_PID") d0=$(cpu_s "$dl_pid") t0=$(now)
  /usr/bin/time -f '%U %S' -o "$WORK/time.txt" \
    "$AGORA" --json --repo "$WORK/$name" get "$CID" -o "$out" --peer "$SEED_ADDR" >"$WORK/get.out" ||
    fail "agora get: $(cat "$WORK/get.out")"
  t1=$(now)
  local s1 d1
  s1=$(cpu_s "$SEED_PID") d1=$(cpu_s "$dl_pid")
  sent1=$(metric seed agora_xfer_leaf_bytes_sent_total)
  ((sent1 - sent0 == BYTES)) || fail "the seed sent $((sent1 - sent0)) leaf bytes over xfer, not $BYTES"
  record agora "$r" "$(calc "$t1 - $t0")" "$(calc "$s1 - $s0")" \
    "$(calc "$d1 - $d0 + $(time_cpu "$WORK/time.txt")")"
  verify "$out"
  stop_daemon "$name"
  for _ in $(seq 100); do kill -0 "$dl_pid" 2>/dev/null || break; sleep 0.1; done
  rm -rf "${WORK:?}/$name" "$out"
}

run_perf() {
  local r=$1 s0 d0 t0 t1 s1 d1
  s0=$(cpu_s "$SEED_PID") d0=$(cpu_s "$PERF_PID") t0=$(now)
  /usr/bin/time -f '%U %S' -o "$WORK/time.txt" \
    "$AGORA" --repo "$WORK/perfclient" perf "$SEED_ADDR" --upload 0 --download "$BYTES" >"$WORK/perf.out" ||
    fail "agora perf: $(cat "$WORK/perf.out")"
  t1=$(now)
  s1=$(cpu_s "$SEED_PID") d1=$(cpu_s "$PERF_PID")
  grep -q "downloaded $BYTES bytes" "$WORK/perf.out" || fail "agora perf: $(cat "$WORK/perf.out")"
  record perf "$r" "$(calc "$t1 - $t0")" "$(calc "$s1 - $s0")" \
    "$(calc "$d1 - $d0 + $(time_cpu "$WORK/time.txt")")"
}

run_libtorrent() {  # from the seed's first payload byte to finished (downloader's clock); the
  # time from add_torrent to that first byte (libtorrent's connection ticks) is start-up
  local r=$1 dir="$WORK/out/libtorrent" s0 s1 res t0
  mkdir -p "$dir"
  s0=$(cpu_s "$BT_PID") t0=$(now)
  res=$("$PY" "$here/bittorrent_peer.py" get "$WORK/bt/plain.torrent" "$dir" --peer "127.0.0.1:$BT_PORT") ||
    fail "libtorrent download"
  s1=$(cpu_s "$BT_PID")
  local up secs finished cpu
  secs=$(json_field seconds <<<"$res") finished=$(json_field finished_at <<<"$res")
  cpu=$(json_field cpu_seconds <<<"$res")
  up=$(upload_start "$t0")
  [[ -n "$up" ]] || fail "libtorrent: the seed logged no upload"
  record libtorrent "$r" "$(calc "$finished - $up")" "$(calc "$s1 - $s0")" "$cpu" \
    "$(calc "$secs - ($finished - $up)")"
  verify "$dir/file.bin"
  rm -rf "$dir"
}

run_aria2() {  # from the seed's first payload byte to aria2c's "Seeding is over." (every piece
  # verified and written; its exit comes one to two 1-second ticks later, which are not counted)
  local r=$1 dir="$WORK/out/aria2" s0 s1 t0 t1
  mkdir -p "$dir"
  s0=$(cpu_s "$BT_PID") t0=$(now)
  /usr/bin/time -f '%U %S' -o "$WORK/time.txt" aria2c -q -d "$dir" --seed-time=0 \
    -l "$WORK/aria2.log" --log-level=notice \
    --enable-dht=false --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=false \
    --disable-ipv6=true --bt-min-crypto-level=plain --bt-require-crypto=false \
    --file-allocation=falloc --summary-interval=0 --console-log-level=warn \
    "$WORK/bt/tracked.torrent" >"$WORK/aria2.out" 2>&1 || fail "aria2c failed: $(cat "$WORK/aria2.out")"
  t1=$(now)
  s1=$(cpu_s "$BT_PID")
  record_client aria2 "$r" "$t0" "$(calc "$s1 - $s0")" \
    "$(awk '/Seeding is over/ { print $1, $2; exit }' "$WORK/aria2.log")" "$dir"
  rm -f "$WORK/aria2.log"
  rm -rf "$dir"
}

transmission_settings() {  # settings.json for a fresh transmission-cli config dir: listen only
  # on the outside address (port random), TCP only (uTP off: the seed does not serve it, and
  # transmission would wait 30 s on a uTP handshake first), encryption 0 = plaintext preferred
  # (as the seed allows), no DHT/PEX/LPD/port mapping/blocklist/RPC, stop seeding at ratio 0 so
  # that transmission-cli exits once complete, and info-level messages for the "Complete" line.
  # Everything else (cache, preallocation, no speed limits) is transmission's default.
  cat <<EOF
{
  "bind-address-ipv4": "$OUTSIDE_IP",
  "bind-address-ipv6": "::1",
  "peer-port-random-on-start": true,
  "utp-enabled": false,
  "encryption": 0,
  "dht-enabled": false,
  "pex-enabled": false,
  "lpd-enabled": false,
  "port-forwarding-enabled": false,
  "blocklist-enabled": false,
  "rpc-enabled": false,
  "ratio-limit-enabled": true,
  "ratio-limit": 0,
  "message-level": 2
}
EOF
}

run_transmission() {  # from the seed's first payload byte to transmission's 'State changed from
  # "Incomplete" to "Complete"' (every piece hash-checked; its log has milliseconds). Before that
  # byte come its announce and up to 10 s until its rechoke pulse sends "interested": start-up
  local r=$1 dir="$WORK/out/transmission" cfg="$WORK/transmission-config" s0 s1 t0 pid rc=0
  rm -rf "$cfg" && mkdir -p "$dir" "$cfg"
  transmission_settings >"$cfg/settings.json"
  s0=$(cpu_s "$BT_PID") t0=$(now)
  # In the background, so that a signal to this script is handled at once: timeout puts itself,
  # /usr/bin/time and transmission-cli in a process group of their own and passes cleanup's TERM
  # on to the whole group (/usr/bin/time alone would not). 1800 s as bittorrent_peer.py waits.
  timeout 1800 /usr/bin/time -f '%U %S' -o "$WORK/time.txt" \
    transmission-cli -g "$cfg" -w "$dir" "$WORK/bt/outside.torrent" \
    </dev/null >"$WORK/transmission.out" 2>"$WORK/transmission.log" &
  pid=$!
  BENCH_PIDS+=("$pid")
  wait "$pid" || rc=$?
  ((rc == 0)) || fail "transmission-cli failed (exit $rc; 124: not complete in 1800 s)"
  s1=$(cpu_s "$BT_PID")
  record_client transmission "$r" "$t0" "$(calc "$s1 - $s0")" \
    "$(awk '/State changed from "Incomplete" to "Complete"/ {
      print substr($1, 2), substr($2, 1, length($2) - 1); exit }' "$WORK/transmission.log")" "$dir"
  rm -f "$WORK/transmission.log"
  rm -rf "$dir" "$cfg"
}

echo "rounds: $ROUNDS of ${tools[*]} (order rotated per round), $BYTES bytes" >&2
: >"$WORK/results.tsv"
for ((r = 1; r <= ROUNDS; r++)); do
  n=${#tools[@]}
  for ((i = 0; i < n; i++)); do
    "run_${tools[$(((i + r - 1) % n))]}" "$r"
  done
done

echo
echo "agora get over /agora/xfer/1.0.0 against BitTorrent clients: $BYTES bytes, one seed, one downloader, loopback"
echo "agora add of the file: $(calc "$BYTES / 1e6 / $ADD_SECONDS") MB/s ($ADD_SECONDS s)"
"$PY" - "$WORK/results.tsv" "$BYTES" <<'EOF'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
size = int(sys.argv[2])
gib = size / (1 << 30)
runs = {}
startup = {}
for tool, rnd, secs, s_cpu, r_cpu, start in rows:
    runs.setdefault(tool, {})[int(rnd)] = (float(secs), float(s_cpu), float(r_cpu))
    if start != "-":
        startup.setdefault(tool, []).append(float(start))
rate = lambda secs: size / 1e6 / secs
print("| tool | MB/s per round | median MB/s | min-max | sender CPU s/GiB | receiver CPU s/GiB |")
print("|---|---|---|---|---|---|")
for tool, by_round in runs.items():
    rates = [rate(by_round[r][0]) for r in sorted(by_round)]
    snd = statistics.median(v[1] for v in by_round.values()) / gib
    rcv = statistics.median(v[2] for v in by_round.values()) / gib
    print(f"| {tool} | {', '.join(f'{x:,.0f}' for x in rates)} | {statistics.median(rates):,.0f} "
          f"| {min(rates):,.0f}-{max(rates):,.0f} | {snd:.2f} | {rcv:.2f} |")
for other in ("libtorrent", "perf", "aria2", "transmission"):
    if "agora" in runs and other in runs:
        common = sorted(set(runs["agora"]) & set(runs[other]))
        ratios = [runs[other][r][0] / runs["agora"][r][0] for r in common]
        print(f"agora/{other} per round: {', '.join(f'{x:.2f}' for x in ratios)} "
              f"(median {statistics.median(ratios):.2f})")
for tool, values in startup.items():
    print(f"{tool}: start-up before the seed's first payload byte (not in MB/s): "
          f"{', '.join(f'{x:.2f}' for x in values)} s")
print("raw (tool round seconds sender_cpu_s receiver_cpu_s startup_s):")
for row in rows:
    print("  " + " ".join(row))
EOF
echo "versions: $("$AGORA" version 2>/dev/null | head -1); libtorrent $("$PY" -c 'import libtorrent; print(libtorrent.__version__)' 2>/dev/null || echo -);" \
  "$(aria2c --version 2>/dev/null | head -1 || echo 'aria2 -');" \
  "$(transmission-cli --version 2>/dev/null | head -1 || echo 'transmission-cli -')"
machine_line
