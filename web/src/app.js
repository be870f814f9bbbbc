// The dashboard: one live stream (server-sent events from /api/v0/dashboard/stream, a snapshot a
// second: traffic counters, connections, transfers, new events) and a few calls on a timer or a
// click (routing table, metrics, doctor, crawl, traces). Every call carries the session secret
// the login stored in sessionStorage, as X-Agora-Session; without one, or on a 401, the browser
// goes back to /login.
import { h, replace, bytes, rate, short, peerCell } from "./dom.js";
import { BandwidthChart } from "./chart.js";
import { drawTopology } from "./graph.js";
import { drawTrace } from "./timeline.js";

const $ = (id) => document.getElementById(id);
const EVENTS_SHOWN_MAX = 300;
let self = "";
const session = sessionStorage.getItem("agora-session");
if (!session) location.replace("/login");
const withSession = (options = {}) => ({
  credentials: "same-origin",
  ...options,
  headers: { ...(options.headers ?? {}), "X-Agora-Session": session ?? "" },
});

async function api(path, options = {}) {
  const res = await fetch(path, withSession(options));
  if (res.status === 401) {
    location.replace("/login");
    throw new Error("not logged in");
  }
  const body = await res.text();
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      message = JSON.parse(body).error ?? message;
    } catch {}
    throw new Error(message);
  }
  return body;
}
const apiJson = async (path, options) => JSON.parse(await api(path, options));

// --- identity
async function showIdentity() {
  const id = await apiJson("/api/v0/id");
  self = id.peer;
  const dht = id.discovery?.dht ?? "off";
  replace(
    $("identity"),
    h("span", { class: "peer", title: id.peer }, short(id.peer)),
    h("span", {}, id.agent),
    h("span", {}, `DHT ${dht}`),
    h("span", { title: id.addrs.join("\n") }, `${id.addrs.length} addresses`),
    reachabilityBadge(id.reachability),
  );
}

// What the last AutoNAT check found: whether peers can dial this node back.
function reachabilityBadge(r) {
  if (!r) return h("span", {}, "");
  const said = (r.probes ?? []).map((p) =>
    `${short(p.peer)} ${p.status ?? "no answer"}${p.addr ? " at " + p.addr : ""}${p.text ? ": " + p.text : ""}`);
  const when = r.checked_ns ? `checked ${new Date(r.checked_ns / 1e6).toLocaleTimeString()}` : "not checked yet";
  return h("span", { class: `reach ${r.status}`, title: [when, ...said].join("\n") }, r.status);
}

// --- peers and connections
function showPeers(peers) {
  $("peer-count").textContent = `(${peers.length} connections)`;
  const rows = peers.map((p) =>
    h(
      "tr",
      {},
      peerCell(p.peer),
      h("td", { class: "addr" }, p.addr),
      h("td", {}, p.direction),
      h("td", { class: "num" }, p.latency_ms === undefined ? "-" : `${p.latency_ms.toFixed(1)} ms`),
      h("td", { class: "num" }, p.streams),
      h("td", { class: "num" }, bytes(p.bytes_sent)),
      h("td", { class: "num" }, bytes(p.bytes_received)),
      h("td", {}, p.agent ?? ""),
      h("td", { title: (p.protocols ?? []).join("\n") }, `${(p.protocols ?? []).length}`),
    ),
  );
  replace($("peers").tBodies[0], rows);
}

// --- transfers
function showTransfers(operations) {
  if (operations.length === 0) {
    replace($("transfers"), h("p", { class: "quiet" }, "No transfer running."));
    return;
  }
  replace(
    $("transfers"),
    operations.map((op) => {
      const total = op.total_bytes ?? 0;
      const done = Math.min(op.bytes, total || op.bytes);
      const sources = (op.sources ?? []).map((s) =>
        h(
          "tr",
          {},
          peerCell(s.peer),
          h("td", { class: "num" }, bytes(s.bytes)),
          h("td", { class: "num" }, rate(s.bytes_per_second)),
          h("td", {}, s.choked === undefined ? "-" : s.choked ? "choked" : "unchoked"),
        ),
      );
      return h(
        "div",
        { class: "transfer" },
        h("div", {}, h("b", {}, op.kind), " ", h("code", {}, op.target), " ", op.phase ?? "",
          ` ${bytes(op.bytes)}${total ? ` of ${bytes(total)}` : ""}, ${op.seconds.toFixed(1)} s`),
        total ? h("progress", { max: total, value: done }) : null,
        sources.length
          ? h("table", { class: "sources" },
              h("thead", {}, h("tr", {}, h("th", {}, "peer"), h("th", {}, "sent us"),
                h("th", {}, "rate"), h("th", {}, "choke"))),
              h("tbody", {}, sources))
          : null,
      );
    }),
  );
}

// --- events
const shownEvents = [];
function showEvents(events, dropped) {
  shownEvents.push(...events);
  if (shownEvents.length > EVENTS_SHOWN_MAX) shownEvents.splice(0, shownEvents.length - EVENTS_SHOWN_MAX);
  $("events-dropped").textContent = dropped ? `(${dropped} overwritten since start)` : "";
  const rows = [...shownEvents].reverse().map((e) =>
    h(
      "tr",
      {},
      h("td", { class: "num" }, e.seq),
      h("td", {}, new Date(e.wall_ns / 1e6).toLocaleTimeString()),
      h("td", {}, e.type),
      peerCell(e.peer ?? ""),
      h("td", {}, e.protocol ?? ""),
      h("td", {}, e.reason ?? ""),
      h("td", { class: "detail" }, e.count > 1 ? `${e.detail ?? ""} (x${e.count})` : e.detail ?? ""),
    ),
  );
  replace($("events").tBodies[0], rows);
}

// --- the live stream
const chart = new BandwidthChart($("bandwidth"));
// EventSource cannot send a header: the stream is read with fetch, frames split at blank lines.
function showSnapshot(s) {
  $("live").textContent = "live";
  $("live").className = "badge ok";
  chart.add(s.time_ms, s.sent_bytes, s.received_bytes);
  const now = chart.latest();
  replace(
    $("bandwidth-totals"),
    h("span", { class: "sent" }, `sent ${rate(now.sent)} (${bytes(s.sent_bytes)} in all)`),
    h("span", { class: "received" }, `received ${rate(now.received)} (${bytes(s.received_bytes)} in all)`),
  );
  showPeers(s.peers);
  showTransfers(s.operations);
  showEvents(s.events, s.events_dropped);
}

async function readStream() {
  const res = await fetch("/api/v0/dashboard/stream", withSession());
  if (res.status === 401) location.replace("/login");
  if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    let end;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      if (/^event: snapshot$/m.test(frame) && data) showSnapshot(JSON.parse(data));
    }
  }
}

// The daemon ends a stream after a few minutes, or goes away: reconnect after two seconds.
async function startStream() {
  for (;;) {
    try {
      await readStream();
    } catch (e) {
      $("live").textContent = "reconnecting";
      $("live").className = "badge warn";
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

// --- routing table
async function showRouting() {
  let table;
  try {
    table = await apiJson("/api/v0/dht/table");
  } catch (e) {
    replace($("routing"), h("p", { class: "quiet" }, `No routing table: ${e.message}`));
    return;
  }
  $("routing-count").textContent = `(${table.size} peers)`;
  const buckets = new Map();
  for (const p of table.peers) buckets.set(p.bucket, [...(buckets.get(p.bucket) ?? []), p]);
  const rows = [...buckets.keys()].sort((a, b) => a - b).map((b) =>
    h(
      "tr",
      {},
      h("td", { class: "num" }, b),
      h("td", { class: "num" }, buckets.get(b).length),
      h("td", {}, buckets.get(b).map((p) =>
        h("span", { class: p.connected ? "chip connected" : "chip", title: p.peer }, short(p.peer)))),
    ),
  );
  replace($("routing"), h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "bucket"), h("th", {}, "peers"), h("th", {}, "who"))),
    h("tbody", {}, rows)));
}

// --- metrics, from the Prometheus text
function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$/);
    if (m) out.push({ name: m[1], labels: m[2] ?? "", value: m[3] });
  }
  return out;
}
let metrics = [];
function showMetrics() {
  const filter = $("metrics-filter").value.trim();
  const rows = metrics
    .filter((m) => !filter || m.name.includes(filter))
    .map((m) => h("tr", {}, h("td", {}, m.name), h("td", { class: "detail" }, m.labels), h("td", { class: "num" }, m.value)));
  replace($("metrics").tBodies[0], rows);
}
async function refreshMetrics() {
  metrics = parseMetrics(await api("/metrics"));
  showMetrics();
}

// --- doctor
async function runDoctor() {
  const button = $("doctor-run");
  button.disabled = true;
  $("verdict").textContent = "doctor: running";
  replace($("doctor"), h("p", { class: "quiet" }, "Running the checks (up to a minute and a half)..."));
  try {
    const report = await apiJson("/api/v0/doctor");
    $("verdict").textContent = `doctor: ${report.verdict}`;
    $("verdict").className = `badge ${report.verdict === "ok" ? "ok" : "fail"}`;
    replace(
      $("doctor"),
      h("p", { class: "verdict" }, "Verdict: ", h("b", {}, report.verdict), report.fix ? ` — ${report.fix}` : ""),
      h("ul", { class: "checks" }, report.checks.map((c) =>
        h("li", { class: `check ${c.status}` }, h("b", {}, `${c.name}: ${c.status}`), " ", c.evidence,
          c.fix ? h("div", { class: "fix" }, c.fix) : null))),
    );
  } catch (e) {
    replace($("doctor"), h("p", { class: "error" }, `Doctor failed: ${e.message}`));
  } finally {
    button.disabled = false;
  }
}

// --- topology
async function runCrawl() {
  const button = $("crawl-run");
  button.disabled = true;
  $("crawl-status").textContent = "crawling...";
  try {
    const max = Number($("crawl-max").value) || 200;
    const crawl = await apiJson(`/api/v0/crawl?max_nodes=${encodeURIComponent(max)}`);
    const s = crawl.stats;
    $("crawl-status").textContent =
      `${s.nodes} nodes (${s.reachable} reachable), ${s.edges} edges, ${s.queries} lookups in ${s.seconds.toFixed(1)} s` +
      (s.complete ? "" : " (stopped at a bound)");
    drawTopology($("topology"), crawl, self);
  } catch (e) {
    $("crawl-status").textContent = `crawl failed: ${e.message}`;
  } finally {
    button.disabled = false;
  }
}

// --- traces
let shownTraces = "";
async function refreshTraces() {
  const { traces } = await apiJson("/api/v0/traces?limit=50");
  const key = traces.map((t) => t.trace_id).join();
  if (key === shownTraces) return;
  shownTraces = key;
  const rows = traces.map((t) => {
    const row = h("tr", { class: "clickable", "data-trace": t.trace_id },
      h("td", { class: "peer", title: t.trace_id }, t.trace_id.slice(0, 16)),
      h("td", {}, t.name),
      h("td", { class: "detail" }, t.key),
      h("td", { class: "num" }, `${((t.end_ns - t.start_ns) / 1e6).toFixed(1)} ms`),
      h("td", {}, t.outcome));
    row.addEventListener("click", () => showTrace(t.trace_id));
    return row;
  });
  replace($("traces").tBodies[0], rows);
}
async function showTrace(id) {
  replace($("trace-view"), h("p", { class: "quiet" }, "Asking the peers the trace touched..."));
  try {
    drawTrace($("trace-view"), await apiJson(`/api/v0/trace?arg=${id}&linked=1`));
  } catch (e) {
    replace($("trace-view"), h("p", { class: "error" }, `No trace: ${e.message}`));
  }
}

async function logout() {
  await fetch("/api/v0/session/end", withSession({ method: "POST" }));
  sessionStorage.removeItem("agora-session");
  location.replace("/login");
}

async function main() {
  $("logout").addEventListener("click", logout);
  $("doctor-run").addEventListener("click", runDoctor);
  $("crawl-run").addEventListener("click", runCrawl);
  $("metrics-filter").addEventListener("input", showMetrics);
  await showIdentity();
  startStream();  // runs for as long as the page is open
  showRouting();
  refreshMetrics();
  refreshTraces();
  setInterval(() => refreshTraces().catch(() => {}), 5000);
  setInterval(showRouting, 10000);
  setInterval(() => refreshMetrics().catch(() => {}), 5000);
}

main().catch((e) => {
  $("live").textContent = `error: ${e.message}`;
  $("live").className = "badge fail";
});
