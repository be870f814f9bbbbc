#!/usr/bin/env bash
# Span export to an OTLP/HTTP collector (docs/tracing.md, [trace] otlp_endpoint), against real
# daemons and a collector made of Python's http.server (stdlib only) that keeps every POST body.
# `a` exports (every 200 ms), `b` serves the file. Checked:
#   - an endpoint agora cannot reach without TLS or DNS is refused when the config is loaded;
#   - after a traced get, the collector received OTLP/JSON as application/json: one resourceSpans
#     entry whose resource names service.name "agora" and service.instance.id a's peer id; trace
#     ids of 32 and span ids of 16 lowercase hex digits; times as decimal strings; the trace id
#     --trace printed, with the get's own span; no span sent twice; at most 512 spans a POST;
#   - with the collector gone, a keeps running, counts the failures
#     (agora_trace_export_failures_total{reason="connect"}) and records a trace_export_failed
#     event; when a collector is back on the port, the spans recorded meanwhile reach it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/daemons_lib.sh" otlp
cat >"$work/collector.py" <<'PY'
import http.server, os, sys
out, port_file, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
class Collector(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        n = len(os.listdir(out)) // 2
        with open(f"{out}/{n:05}.type", "w") as f:
            f.write(f"{self.path} {self.headers.get('Content-Type')}")
        with open(f"{out}/{n:05}.tmp", "wb") as f:
            f.write(body)
        os.rename(f"{out}/{n:05}.tmp", f"{out}/{n:05}.json")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", port), Collector)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
collector_start() {  # collector_start PORT (0: any free port)
  rm -f "$work/port"
  python3 "$work/collector.py" "$work/otlp" "$work/port" "$1" >"$work/collector.log" 2>&1 &
  pid[collector]=$!
  eventually 50 test -s "$work/port" || fail "the collector did not start"
}

# An https endpoint (or a host name) is a config error at load time, saying why.
init c
sed -i 's|^otlp_endpoint = ""|otlp_endpoint = "https://127.0.0.1:4318/v1/traces"|' "$work/c/config.toml"
if timeout 20 "$agora" --repo "$work/c" daemon >"$work/c.out" 2>&1; then fail "c started with https"; fi
grep -q 'otlp_endpoint.*no TLS' "$work/c.out" || fail "no clear error for https: $(cat "$work/c.out")"

collector_start 0
port="$(cat "$work/port")"
init a
init b
sed -i -e "s|^otlp_endpoint = \"\"|otlp_endpoint = \"http://127.0.0.1:$port/v1/traces\"|" \
  -e 's/^otlp_interval_ms = 5000/otlp_interval_ms = 200/' "$work/a/config.toml"
grep -q "^otlp_endpoint = \"http://127.0.0.1:$port/v1/traces\"" "$work/a/config.toml" || fail "no otlp_endpoint key"
grep -q '^otlp_interval_ms = 200' "$work/a/config.toml" || fail "no otlp_interval_ms key"
start a
start b
peer_a="$(a a --json id | field 'd["peer"]')"

head -c $((1 << 20)) /dev/urandom >"$work/file"
cid="$(a b add -Q "$work/file")"
a a --trace get "$cid" -o "$work/got" --peer "$(addr b)" >/dev/null 2>"$work/get.err" ||
  fail "the traced get failed: $(cat "$work/get.err")"
trace="$(sed -n 's/^trace \([0-9a-f]\{32\}\)$/\1/p' "$work/get.err")"
[[ -n "$trace" ]] || fail "--trace printed no trace id: $(cat "$work/get.err")"
received() { cat "$work"/otlp/*.json 2>/dev/null | grep -q "\"traceId\":\"$1\""; }
eventually 150 received "$trace" || fail "the collector did not receive trace $trace"
sent_metric="$(a a metrics | awk '$1 == "agora_trace_export_spans_total" { print $2 }')"

python3 - "$work/otlp" "$peer_a" "$trace" "${sent_metric:-0}" <<'PY' || fail "the collector received bad OTLP/JSON"
import glob, json, re, sys
out, peer, trace, sent_metric = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
hex32, hex16 = re.compile(r"^[0-9a-f]{32}$"), re.compile(r"^[0-9a-f]{16}$")
seen, ops = set(), []
bodies = sorted(glob.glob(f"{out}/*.json"))
assert bodies, "no POST"
for path in bodies:
    kind = open(path[:-5] + ".type").read()
    assert kind == "/v1/traces application/json", kind
    body = json.load(open(path))
    rs = body["resourceSpans"]
    assert len(rs) == 1, f"{len(rs)} resourceSpans entries"
    attrs = {a["key"]: a["value"]["stringValue"] for a in rs[0]["resource"]["attributes"]}
    assert attrs["service.instance.id"] == peer, attrs
    assert attrs["service.name"] == "agora", attrs
    spans = [s for sc in rs[0]["scopeSpans"] for s in sc["spans"]]
    assert 0 < len(spans) <= 512, f"{len(spans)} spans in one POST"
    for s in spans:
        assert hex32.match(s["traceId"]), s["traceId"]
        assert hex16.match(s["spanId"]), s["spanId"]
        assert s["parentSpanId"] == "" or hex16.match(s["parentSpanId"]), s["parentSpanId"]
        for t in ("startTimeUnixNano", "endTimeUnixNano"):
            assert isinstance(s[t], str) and s[t].isdigit(), f"{t}: {s[t]!r}"
        assert int(s["endTimeUnixNano"]) >= int(s["startTimeUnixNano"])
        assert s["kind"] in (1, 2, 3) and s["name"] and s["status"]["code"] in (0, 1, 2)
        key = (s["traceId"], s["spanId"])
        assert key not in seen, f"span sent twice: {key}"
        seen.add(key)
        if s["traceId"] == trace and s["kind"] == 1:
            ops.append(s["name"])
assert "get" in ops, f"the traced get's own span: {ops}"
assert len(seen) >= sent_metric > 0, f"collector has {len(seen)}, agora_trace_export_spans_total {sent_metric}"
print(f"otlp ok: {len(bodies)} POSTs, {len(seen)} spans")
PY

# The collector goes away: a keeps running, counts and records the failures.
kill -TERM "${pid[collector]}"
wait "${pid[collector]}" 2>/dev/null || true
unset "pid[collector]"
head -c $((1 << 20)) /dev/urandom >"$work/file2"
cid2="$(a b add -Q "$work/file2")"
a a --trace get "$cid2" -o "$work/got2" --peer "$(addr b)" >/dev/null 2>"$work/get2.err" ||
  fail "the second traced get failed: $(cat "$work/get2.err")"
trace2="$(sed -n 's/^trace \([0-9a-f]\{32\}\)$/\1/p' "$work/get2.err")"
failures() { a a metrics | awk '$1 == "agora_trace_export_failures_total{reason=\"connect\"}" { print $2 }'; }
counted() { [[ "$(failures)" -gt 0 ]]; }
eventually 150 counted || fail "a counted no failed export: $(a a metrics | grep agora_trace_export)"
kill -0 "${pid[a]}" || fail "a stopped when the collector went away"
a a id >/dev/null || fail "a does not answer"
a a events --json | grep -q '"type":"trace_export_failed"' || fail "no trace_export_failed event on a"
a a events | grep -q 'trace_export_failed.*reason=connect' || fail "the event names no reason"

# A collector on the same port again: the spans a recorded meanwhile arrive (backoff <= 60 s).
collector_start "$port"
eventually 300 received "$trace2" || fail "the spans recorded while the collector was away never arrived"
echo "PASS"
