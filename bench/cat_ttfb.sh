#!/usr/bin/env bash
# Time to first byte of `agora cat` (issue 12, benchmark 4), over loopback, against `agora get`
# of the same file in the same run. One seed daemon holds a random file (default 1 GiB). Each
# round starts a fresh getter daemon (a fresh repo: nothing cached, checked with `repo stat`)
# for each of:
#   cat   `agora cat <cid> --peer <seed>` piped into a reader (python) that notes when the first
#         byte arrives on its standard input and when the stream ends, counts the bytes and
#         copies them to a file in /dev/shm (compared with the source afterwards, untimed)
#   get   `agora get <cid> -o PATH --peer <seed>`: only its total time (no first byte to see)
# and, after the cat, the same cat again on the same getter, which now holds every block
# ("cat, local"): the part of the first byte that is the CLI, the API and the local read.
# The order of the two alternates per round. Each timed command runs under the machine's build
# lock (flock -o $BENCH_LOCK, default /tmp/agora-build.lock) so no compile runs meanwhile; the
# daemons are started before it and never hold it.
# Usage: bench/cat_ttfb.sh [--bytes N] [--rounds R] [--agora PATH] [--keep]
#   defaults: 1 GiB, 3 rounds
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench_lib.sh
source "$here/bench_lib.sh"
PY=/usr/bin/python3
BYTES=$((1 << 30))
ROUNDS=3
KEEP=0
LOCK="${BENCH_LOCK:-/tmp/agora-build.lock}"
while (($#)); do
  case "$1" in
    --bytes) BYTES="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --agora) AGORA="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done
[[ -x "$AGORA" ]] || { echo "no agora binary at $AGORA (use --agora)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/agora-cat-ttfb.XXXXXX)"
SHM="$(mktemp -d /dev/shm/agora-cat-ttfb.XXXXXX)"
cleanup() {
  bench_stop_all
  rm -rf "$SHM"
  if ((KEEP)); then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "FAIL: $*" >&2
  for f in "$WORK"/*.log; do [[ -e "$f" ]] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done
  exit 1
}

# The timed part: run.py cat|get AGORA REPO CID SEED_ADDR OUT -> one line of JSON
cat >"$WORK/run.py" <<'EOF'
import json, os, subprocess, sys, time
mode, agora, repo, cid, seed, out = sys.argv[1:7]
if mode == "cat":
    t0 = time.monotonic()
    proc = subprocess.Popen([agora, "--repo", repo, "cat", cid, "--peer", seed],
                            stdout=subprocess.PIPE, bufsize=0)
    fd = proc.stdout.fileno()
    first = None
    total = 0
    with open(out, "wb", buffering=0) as f:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            if first is None:
                first = time.monotonic() - t0
            total += len(chunk)
            f.write(chunk)
    rc = proc.wait()
    print(json.dumps({"ttfb": first, "seconds": time.monotonic() - t0, "bytes": total, "rc": rc}))
else:
    t0 = time.monotonic()
    rc = subprocess.run([agora, "--repo", repo, "get", cid, "-o", out, "--peer", seed],
                        stdout=subprocess.DEVNULL).returncode
    print(json.dumps({"ttfb": None, "seconds": time.monotonic() - t0,
                      "bytes": os.path.getsize(out) if rc == 0 else 0, "rc": rc}))
EOF

no_mdns='s/^mdns = true/mdns = false/'
echo "generating $BYTES random bytes" >&2
head -c "$BYTES" /dev/urandom >"$WORK/file.bin"
start_daemon seed "$no_mdns" || fail "seed daemon"
SEED_ADDR=$DAEMON_ADDR
CID=$("$AGORA" --repo "$WORK/seed" add -Q "$WORK/file.bin")
echo "seed holds $CID" >&2
: >"$WORK/results.tsv"

run_one() {  # run_one cat|get ROUND
  local mode=$1 r=$2 name="$1$2" out res
  start_daemon "$name" "$no_mdns" || fail "getter daemon $name"
  local pid=$DAEMON_PID
  "$AGORA" --repo "$WORK/$name" swarm connect "$SEED_ADDR" >/dev/null || fail "connect"
  local blocks
  blocks=$("$AGORA" --json --repo "$WORK/$name" repo stat | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["blocks"])')
  ((blocks == 0)) || fail "getter $name already holds $blocks blocks"
  if [[ $mode == cat ]]; then out="$SHM/cat.bin"; else out="$WORK/get.bin"; fi
  res=$(flock -o "$LOCK" "$PY" "$WORK/run.py" "$mode" "$AGORA" "$WORK/$name" "$CID" "$SEED_ADDR" "$out") ||
    fail "$mode: $res"
  local rc bytes
  read -r rc bytes < <("$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(d["rc"], d["bytes"])' "$res")
  ((rc == 0)) || fail "agora $mode exited $rc"
  ((bytes == BYTES)) || fail "agora $mode gave $bytes bytes, not $BYTES"
  cmp "$WORK/file.bin" "$out" || fail "agora $mode: the output differs from the source"
  printf '%s\t%s\t%s\n' "$mode" "$r" "$res" >>"$WORK/results.tsv"
  echo "  round $r $mode: $res" >&2
  rm -f "$out"
  if [[ $mode == cat ]]; then
    res=$(flock -o "$LOCK" "$PY" "$WORK/run.py" cat "$AGORA" "$WORK/$name" "$CID" "$SEED_ADDR" "$out") ||
      fail "cat, local: $res"
    read -r rc bytes < <("$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(d["rc"], d["bytes"])' "$res")
    ((rc == 0 && bytes == BYTES)) || fail "agora cat, local: exit $rc, $bytes bytes"
    cmp "$WORK/file.bin" "$out" || fail "agora cat, local: the output differs from the source"
    printf 'cat-local\t%s\t%s\n' "$r" "$res" >>"$WORK/results.tsv"
    echo "  round $r cat, local: $res" >&2
    rm -f "$out"
  fi
  stop_daemon "$name"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -rf "${WORK:?}/$name"
}

machine_line >&2
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then run_one cat "$r"; run_one get "$r"; else run_one get "$r"; run_one cat "$r"; fi
done

echo
echo "agora cat time to first byte against agora get, $BYTES bytes, one seed, loopback, fresh getter each run"
"$PY" - "$WORK/results.tsv" "$BYTES" <<'EOF'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]).read().splitlines():
    mode, rnd, res = line.split("\t")
    runs.setdefault(mode, []).append((int(rnd), json.loads(res)))
size = int(sys.argv[2])
print("| run | first byte s per round | median | total s per round | median | MB/s (median) |")
print("|---|---|---|---|---|---|")
for mode in ("cat", "cat-local", "get"):
    rs = [d for _, d in sorted(runs[mode], key=lambda x: x[0])]
    tot = [d["seconds"] for d in rs]
    fb = [d["ttfb"] for d in rs if d["ttfb"] is not None]
    fbs = f"{', '.join(f'{x:.3f}' for x in fb)} | {statistics.median(fb):.3f}" if fb else "- | -"
    print(f"| agora {mode} | {fbs} | {', '.join(f'{x:.2f}' for x in tot)} | {statistics.median(tot):.2f} "
          f"| {size / 1e6 / statistics.median(tot):.0f} |")
EOF
echo "versions: $("$AGORA" version 2>/dev/null | head -1)"
machine_line
