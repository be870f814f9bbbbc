#!/usr/bin/env bash
# `agora crawl` over a DHT of twelve daemons on loopback (mDNS off; eleven bootstrap to one): from
# one node it finds every other, all reachable, with their agent and protocols, and edges between
# known nodes only; a node that went away is found unreachable; --max-nodes bounds it and says
# the crawl stopped; DOT and SVG come out of Graphviz; an existing output is refused.
set -euo pipefail
# shellcheck source=daemons_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/daemons_lib.sh" crawl
init boot; start boot
nodes=(n1 n2 n3 n4 n5 n6 n7 n8 n9 n10 n11)
for n in "${nodes[@]}"; do init "$n"; a "$n" bootstrap add "$(addr boot)" >/dev/null; start "$n"; done
table() { a "$1" dht status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["routing_table"])'; }
for _ in $(seq 300); do (($(table boot) >= 11)) && break; sleep 0.1; done
(($(table boot) >= 11)) || fail "the bootstrap node's table never filled"

a n1 crawl -o "$work/crawl.json" 2>"$work/crawl.err" || fail "crawl failed: $(cat "$work/crawl.err")"
grep -Eq '^crawled 11 nodes \(11 reachable\), [0-9]+ edges, [0-9]+ lookups in [0-9.]+ s$' "$work/crawl.err" ||
  fail "unexpected summary: $(cat "$work/crawl.err")"
others=$(for n in boot "${nodes[@]:1}"; do addr "$n" | sed 's|.*/p2p/||'; done | sort | tr '\n' ' ')
python3 - "$work/crawl.json" "$others" <<'PY' || fail "the crawl is wrong"
import json, sys
c = json.load(open(sys.argv[1]))
peers = sorted(n["peer"] for n in c["nodes"])
assert peers == sorted(sys.argv[2].split()), (peers, sys.argv[2])
for n in c["nodes"]:
    assert n["reachable"] == "yes", n
    assert n["agent"].startswith("agora/"), n
    assert "/ipfs/kad/1.0.0" in n["protocols"], n
    assert any(a.startswith("/ip4/127.0.0.1/tcp/") for a in n["addrs"]), n
known = set(peers)
assert len(c["edges"]) >= 11, len(c["edges"])
for e in c["edges"]:
    assert e["from"] in known and e["to"] in known and e["from"] != e["to"], e
s = c["stats"]
assert s["complete"] is True and s["nodes"] == 11 and s["queries"] >= 11, s
PY

# A node that went away: still in the others' tables, asked, and found unreachable.
gone=$(addr n5 | sed 's|.*/p2p/||')
kill -KILL "${pid[n5]}"; wait "${pid[n5]}" 2>/dev/null || true; unset "pid[n5]"
a n1 crawl --format json -o "$work/crawl2.json" 2>"$work/crawl2.err" || fail "second crawl failed"
python3 - "$work/crawl2.json" "$gone" <<'PY' || fail "the stopped node is not shown unreachable"
import json, sys
c = json.load(open(sys.argv[1]))
n = [n for n in c["nodes"] if n["peer"] == sys.argv[2]]
assert n and n[0]["reachable"] == "no", n
PY

# Bounded.
a n1 crawl --max-nodes 3 -o "$work/small.json" 2>"$work/small.err" || fail "bounded crawl failed"
grep -q 'stopped at a bound' "$work/small.err" || fail "a bounded crawl did not say so: $(cat "$work/small.err")"
[[ $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["nodes"]))' "$work/small.json") -le 3 ]] ||
  fail "--max-nodes 3 kept more"

# DOT and SVG.
a n1 crawl --format dot -o "$work/crawl.dot" 2>/dev/null || fail "dot output failed"
dot -Tplain "$work/crawl.dot" >/dev/null || fail "Graphviz cannot read the DOT"
a n1 crawl --format svg -o "$work/crawl.svg" 2>/dev/null || fail "svg output failed"
grep -q '<svg' "$work/crawl.svg" || fail "no SVG"
# An existing output is refused and kept.
if a n1 crawl -o "$work/crawl.svg" 2>"$work/err"; then fail "an existing output was overwritten"; fi
grep -q "already exists" "$work/err" || fail "unclear error: $(cat "$work/err")"
grep -q '<svg' "$work/crawl.svg" || fail "the existing output changed"
echo "crawl: ok"
