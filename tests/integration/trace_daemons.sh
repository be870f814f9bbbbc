#!/usr/bin/env bash
# Cross-peer tracing against real daemons (docs/tracing.md). `a` fetches one file with --trace
# from three providers: `b` and `c` serve /agora/diag/1.0.0, `d` does not. Checked:
#   - the merged trace holds spans from a, b and c in causal order (every span b or c served
#     starts after a's request to it, within the clock offset's error bound), d is reported as
#     not answering (unsupported: not opted in), and the served spans carry a's trace id (it
#     travelled in /agora/xfer/1.1.0's OPEN);
#   - the OTLP/JSON validates: one resourceSpans entry per node with service.instance.id its peer
#     id, ids as lowercase hex of 32 and 16 digits, times as decimal strings, required fields;
#   - the Perfetto JSON loads: a process per node, complete events, flow arrows that pair up;
#   - another peer `x` that fetches the same file gets only its own requests' spans from b, never
#     a's, whatever it asks;
#   - a traced cat holds the spans of the peer it read from;
#   - a traced get of a directory (bitswap) holds a span of the blocks the peer sent;
#   - a flood of diag requests is refused past the rate (b's agora_diag_refused_total{reason=rate}).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/daemons_lib.sh" trace
for n in a b c d x; do init "$n"; done
for n in a b c x; do sed -i 's/^serve_diag = false/serve_diag = true/' "$work/$n/config.toml"; done
for n in a b c d x; do start "$n"; done
head -c $((24 << 20)) /dev/urandom >"$work/file"
cid="$(a b add -Q "$work/file")"
for n in c d; do [[ "$(a "$n" add -Q "$work/file")" == "$cid" ]] || fail "CIDs differ"; done
id_of() { a "$1" --json id | field 'd["peer"]'; }
declare -A peer
for n in a b c d x; do peer[$n]="$(id_of "$n")"; done

a a --trace get "$cid" -o "$work/got" --peer "$(addr b)" --peer "$(addr c)" --peer "$(addr d)" \
  >/dev/null 2>"$work/get.err" || fail "the traced get failed: $(cat "$work/get.err")"
cmp "$work/file" "$work/got" || fail "the file differs"
trace="$(sed -n 's/^trace \([0-9a-f]\{32\}\)$/\1/p' "$work/get.err")"
[[ -n "$trace" ]] || fail "--trace printed no trace id: $(cat "$work/get.err")"
a a --json --trace id 2>"$work/id.err" >/dev/null
field 'len(d["trace_id"]) == 32' <"$work/id.err" | grep -qx True || fail "--json --trace: $(cat "$work/id.err")"

a a --json trace show "$trace" >"$work/trace.json" || fail "trace show failed"
a a trace show "$trace" --format otlp >"$work/otlp.json"
a a trace show "$trace" --format perfetto -o "$work/perfetto.json"
a a trace show "$trace" >"$work/trace.txt"
a a trace ls | grep -q "^$trace  get" || fail "trace ls does not list it: $(a a trace ls)"
python3 - "$work" "${peer[a]}" "${peer[b]}" "${peer[c]}" "${peer[d]}" "$trace" <<'PY' || fail "the trace is wrong"
import json, re, sys
work, a, b, c, d, trace = sys.argv[1:]
t = json.load(open(f"{work}/trace.json"))
# The get also looks the root's providers up in the DHT: those kad requests carry its trace, and
# they may outlive it (the requester's span still open, a server's span then without its parent),
# so they are left out of what follows.
spans = [s for s in t["spans"] if s["protocol"] != "/ipfs/kad/1.0.0"]
nodes = {s["node"] for s in spans}
assert nodes == {a, b, c}, f"spans from {nodes}"
peers = {p["peer"]: p for p in t["peers"]}
assert peers[b]["answered"] and peers[c]["answered"], peers
assert not peers[d]["answered"] and peers[d]["code"] == "unsupported", peers[d]
by_id = {s["span_id"]: s for s in spans}
root = [s for s in spans if s["parent"] == ""]
assert len(root) == 1 and root[0]["name"] == "get" and root[0]["node"] == a, root
served = [s for s in spans if s["node"] in (b, c) and s["protocol"].startswith("/agora/xfer/")]
assert {s["node"] for s in served} == {b, c}, "no xfer span served by b and c"
for s in served:
    assert s.get("trace_id") == trace, "the served span lacks a's trace id"
    r = by_id[s["linked_from"]]
    assert r["node"] == a and r["peer"] == s["node"] and r["direction"] == "outbound", r
    err = peers[s["node"]]["clock_error_ns"] + 1_000_000
    assert s["start_ns"] >= r["start_ns"] - err, f"served before it was asked: {s} {r}"
    assert r["start_ns"] >= root[0]["start_ns"], "a request before its operation"
    assert s["bytes_sent"] > 0 and s["key"] == r["key"]
# What b and c sent covers what a received from them over xfer; with d, a received the whole
# file. (The get's DHT lookup of the root's providers is in the trace too: kad spans, left out.)
asked = [s for s in spans if s["node"] == a and s["direction"] == "outbound" and s["peer"] in (b, c, d)
         and s["protocol"].startswith("/agora/xfer/")]
assert sum(s["bytes_sent"] for s in served) >= sum(r["bytes_received"] for r in asked if r["peer"] != d)
assert sum(r["bytes_received"] for r in asked) >= 24 << 20, "a's requests received less than the file"
# OTLP/JSON
o = json.load(open(f"{work}/otlp.json"))
rs = o["resourceSpans"]
# Each export is collected anew: a DHT request still running at one may have ended by the next.
ids = set()
assert len(rs) >= 3, len(rs)
hexre = lambda n: re.compile(f"^[0-9a-f]{{{n}}}$")
for r in rs:
    attrs = {x["key"]: x["value"]["stringValue"] for x in r["resource"]["attributes"]}
    assert attrs["service.name"] == "agora" and len(attrs["service.instance.id"]) > 40, attrs
    ids.add(attrs["service.instance.id"])
    for sc in r["scopeSpans"]:
        for s in sc["spans"]:
            assert hexre(32).match(s["traceId"]) and s["traceId"] == trace, s["traceId"]
            assert hexre(16).match(s["spanId"]), s["spanId"]
            assert s["parentSpanId"] == "" or hexre(16).match(s["parentSpanId"])
            assert s["name"] and s["kind"] in (1, 2, 3)
            assert s["startTimeUnixNano"].isdigit() and s["endTimeUnixNano"].isdigit()
            assert int(s["endTimeUnixNano"]) >= int(s["startTimeUnixNano"])
            assert s["status"]["code"] in (0, 1, 2)
# Perfetto / Chrome trace events
p = json.load(open(f"{work}/perfetto.json"))
ev = p["traceEvents"]
procs = {e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
assert {a, b, c} <= ids and len(procs) >= 3
xs = [e for e in ev if e["ph"] == "X"]
assert len(xs) >= len(spans) and all(e["dur"] >= 0 and e["pid"] in procs for e in xs)
starts = sorted(e["id"] for e in ev if e["ph"] == "s")
ends = sorted(e["id"] for e in ev if e["ph"] == "f")
assert starts and starts == ends, (starts, ends)
print(f"trace ok: {len(t['spans'])} spans from {len(procs)} nodes, {len(starts)} flows")
PY
grep -q "answered: .* clock offset" "$work/trace.txt" || fail "text has no clock offsets: $(cat "$work/trace.txt")"
grep -q "did not answer" "$work/trace.txt" || fail "text does not name d"

# x fetches the same file, traced, from b only: b answers x with x's requests only.
a x --trace get "$cid" -o "$work/got-x" --peer "$(addr b)" >/dev/null 2>"$work/x.err"
xtrace="$(sed -n 's/^trace \([0-9a-f]\{32\}\)$/\1/p' "$work/x.err")"
a x --json trace show "$xtrace" >"$work/x.json"
python3 - "$work/x.json" "${peer[a]}" "${peer[x]}" "$trace" <<'PY' || fail "x learned of a's requests"
import json, sys
t = json.load(open(sys.argv[1])); a, x, atrace = sys.argv[2:]
remote = [s for s in t["spans"] if s["node"] != x]
assert remote, "b answered nothing"
for s in remote:
    assert s["peer"] == x, f"a span served to someone else: {s}"
    assert s.get("trace_id") != atrace
PY

# cat is traced too: x reads a file only b has, its fetch's xfer stream under the cat.
head -c $((2 << 20)) /dev/urandom >"$work/file2"
cid2="$(a b add -Q "$work/file2")"
a x --trace cat "$cid2" --peer "$(addr b)" 2>"$work/cat.err" | cmp - "$work/file2" || fail "traced cat"
cattrace="$(sed -n 's/^trace \([0-9a-f]\{32\}\)$/\1/p' "$work/cat.err")"
a x --json trace show "$cattrace" >"$work/cat.json"
python3 - "$work/cat.json" "${peer[b]}" <<'PY' || fail "the cat's trace is wrong"
import json, sys
t = json.load(open(sys.argv[1])); b = sys.argv[2]
root = [s for s in t["spans"] if s["parent"] == "" and s["protocol"] != "/ipfs/kad/1.0.0"]
assert len(root) == 1 and root[0]["name"] == "cat", root
assert any(s["node"] == b and s["protocol"].startswith("/agora/xfer/") for s in t["spans"]), "no span of b's"
PY

# A directory comes over bitswap (xfer carries files): one span per peer that sent blocks, under
# the get, with their bytes.
mkdir "$work/dir"
head -c 700000 /dev/urandom >"$work/dir/one"
head -c 5000 /dev/urandom >"$work/dir/two"
dcid="$(a c add -Q -r "$work/dir")"
a x --trace get "$dcid" -o "$work/got-dir" --peer "$(addr c)" >/dev/null 2>"$work/dir.err" ||
  fail "the traced directory get failed: $(cat "$work/dir.err")"
dtrace="$(sed -n 's/^trace \([0-9a-f]\{32\}\)$/\1/p' "$work/dir.err")"
a x --json trace show "$dtrace" --local >"$work/dir.json"
python3 - "$work/dir.json" "${peer[c]}" <<'PY' || fail "the directory get's trace is wrong"
import json, sys
t = json.load(open(sys.argv[1])); c = sys.argv[2]
root = [s for s in t["spans"] if s["parent"] == ""]
assert len(root) == 1 and root[0]["name"] == "get", root
got = [s for s in t["spans"] if s["name"] == "bitswap.blocks"]
assert len(got) == 1, got
s = got[0]
assert s["peer"] == c and s["parent"] == root[0]["span_id"], s
assert s["bytes_received"] >= 705000 and s["outcome"] == "ok" and "blocks" in s["detail"], s
PY

# A flood: x asks b again and again; past its rate (1 a second, burst 5) b refuses.
for _ in $(seq 12); do a x trace show "$xtrace" >/dev/null 2>&1 || true; done
refused="$(a b metrics | awk '$1 == "agora_diag_refused_total{reason=\"rate\"}" { print $2 }')"
[[ "${refused:-0}" -gt 0 ]] || fail "b refused no diag request past its rate"
a b events --json | grep -q '"reason":"diag_rate"' || fail "no diag_rate event on b"
echo "PASS"
