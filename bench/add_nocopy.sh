#!/usr/bin/env bash
# `agora add` of one file with and without --nocopy, against `sha256sum` of the same file (and
# `openssl dgst -sha256`, which uses the CPU's SHA extensions as agora does), in alternating
# rounds: the file is read once beforehand, so every run reads it from the page cache.
# Before each add its content is unpinned and collected (untimed), so every add writes everything
# again. The daemon starts before the timed rounds; the rounds run holding the machine's build
# lock (/tmp/agora-build.lock) so no compile runs meanwhile; the daemon never holds it.
# Usage: bench/add_nocopy.sh [--bytes N] [--rounds R]   (default 1 GiB, 3 rounds)
# Needs build/release/src/app/agora (or AGORA=path). BENCH_LOCK=FILE takes another lock (a quick
# check of the script; figures taken so are not comparable).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bytes=$((1 << 30))
rounds=3
while (($#)); do
  case "$1" in
    --bytes) bytes="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "usage: $0 [--bytes N] [--rounds R]" >&2; exit 64 ;;
  esac
done
WORK="$(mktemp -d /tmp/agora-bench-nocopy.XXXXXX)"
source "$here/bench_lib.sh"
trap bench_cleanup EXIT

file="$WORK/input.bin"
head -c "$bytes" /dev/urandom >"$file"
start_daemon a
repo="$WORK/a"

# The timed part, run under the build lock: prints "<what> <seconds>" lines.
cat >"$WORK/rounds.sh" <<'EOF'
set -euo pipefail
agora="$1" repo="$2" file="$3" rounds="$4"
secs() { date +%s.%N; }
run() {  # run NAME CMD...: prints "NAME seconds"
  local name="$1"; shift
  local t0 t1
  t0=$(secs); "$@" >/dev/null; t1=$(secs)
  python3 -c "print('$name', round($t1 - $t0, 3))"
}
clear_repo() {  # unpin everything added and collect it (untimed)
  "$agora" --repo "$repo" pin ls | awk '$2 == "recursive" {print $1}' | while read -r c; do
    "$agora" --repo "$repo" pin rm "$c" >/dev/null
  done
  "$agora" --repo "$repo" repo gc >/dev/null
}
cat "$file" >/dev/null  # into the page cache
for _ in $(seq "$rounds"); do
  run sha256sum sha256sum "$file"
  run openssl_sha256 openssl dgst -sha256 "$file"
  clear_repo
  run add "$agora" --repo "$repo" add -q "$file"
  clear_repo
  run add_nocopy "$agora" --repo "$repo" add -q --nocopy "$file"
  clear_repo
done
EOF
echo "$(machine_line)"
echo "file: $bytes bytes in $WORK (filesystem $(df --output=fstype "$WORK" | tail -1)), $rounds rounds"
results="$(flock "${BENCH_LOCK:-/tmp/agora-build.lock}" bash "$WORK/rounds.sh" "$AGORA" "$repo" "$file" "$rounds")"
echo "$results"
/usr/bin/python3 - "$bytes" <<EOF
import statistics, sys
size = int(sys.argv[1])
runs = {}
for line in """$results""".splitlines():
    name, secs = line.split()
    runs.setdefault(name, []).append(float(secs))
base = statistics.median(runs["sha256sum"])
for name in ("sha256sum", "openssl_sha256", "add", "add_nocopy"):
    r = runs[name]
    med = statistics.median(r)
    print(f"{name:14s} median {med:7.3f} s  ({min(r):.3f}-{max(r):.3f})  "
          f"{size / med / 1e6:7.0f} MB/s  {med / base:5.2f}x sha256sum")
EOF
