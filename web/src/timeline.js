// A trace as a timeline across peers: one row per span (in tree order, indented by depth), a bar
// at its place on the trace's time, coloured by the node that recorded it. The spans come from
// /api/v0/trace?linked=1 (parents resolved across nodes, times on this node's clock).
import { h, svg, replace, short, bytes } from "./dom.js";

const COLOURS = ["#1971c2", "#d9480f", "#2b8a3e", "#ae3ec9", "#e67700", "#0c8599", "#c92a2a"];

export function drawTrace(el, trace) {
  const spans = trace.spans;
  const first = Math.min(...spans.map((s) => s.start_ns));
  const last = Math.max(...spans.map((s) => s.end_ns));
  const total = Math.max(1, last - first);
  const nodes = [...new Set(spans.map((s) => s.node))];
  const colour = (node) => COLOURS[nodes.indexOf(node) % COLOURS.length];
  const rowHeight = 18;
  const labelWidth = 420;
  const barWidth = 560;
  const rows = spans.map((s, i) => {
    const x = labelWidth + (barWidth * (s.start_ns - first)) / total;
    const w = Math.max(2, (barWidth * (s.end_ns - s.start_ns)) / total);
    const y = i * rowHeight;
    const what = [s.name, s.protocol, s.peer ? `${s.direction === "inbound" ? "for" : "to"} ${short(s.peer)}` : s.key]
      .filter(Boolean).join(" ");
    const title = `${what}\nrecorded by ${s.node}\n${((s.end_ns - s.start_ns) / 1e6).toFixed(2)} ms, ` +
      `sent ${bytes(s.bytes_sent)}, received ${bytes(s.bytes_received)}\n${s.outcome}${s.detail ? ": " + s.detail : ""}`;
    return svg("g", { class: `span ${s.outcome === "ok" ? "" : "not-ok"}`, "data-node": s.node },
      svg("title", {}, title),
      svg("text", { x: 4 + 12 * (s.depth ?? 0), y: y + 13, class: "label" }, `${short(s.node)}: ${what}`),
      svg("rect", { x, y: y + 3, width: w, height: rowHeight - 6, fill: colour(s.node) }));
  });
  const height = spans.length * rowHeight + 4;
  const legend = nodes.map((n) =>
    h("span", { class: "legend" }, h("span", { class: "swatch", "data-colour": colour(n) }), n,
      n === trace.node ? " (this node)" : ""));
  const peers = (trace.peers ?? []).map((p) =>
    h("li", {}, short(p.peer), p.answered
      ? `: ${p.spans} spans, clock offset ${(p.clock_offset_ns / 1e6).toFixed(3)} ms ± ${(p.clock_error_ns / 1e6).toFixed(3)}`
      : `: did not answer (${p.code ?? ""} ${p.error ?? ""})`));
  const chart = svg("svg", { id: "trace-timeline", viewBox: `0 0 ${labelWidth + barWidth + 10} ${height}`, class: "timeline" }, rows);
  replace(el,
    h("p", {}, `Trace ${trace.trace_id}: ${spans.length} spans on ${nodes.length} nodes, ${(total / 1e6).toFixed(1)} ms`),
    h("div", { class: "legends" }, legend),
    peers.length ? h("ul", { class: "peers" }, peers) : null,
    chart);
  // Colours through the DOM, not inline styles (the page's Content-Security-Policy has none).
  for (const swatch of el.querySelectorAll(".swatch")) swatch.style.background = swatch.dataset.colour;
}
