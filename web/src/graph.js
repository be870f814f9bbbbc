// The topology view: `agora crawl`'s nodes and edges, laid out by a small force simulation
// (repulsion between every pair, springs along edges, a pull to the centre) and drawn in SVG.
// Bounded by the crawl's own bounds (at most 1000 nodes); a fixed number of steps.
import { svg, replace, short } from "./dom.js";

export function layout(nodes, edges, width, height, steps = 300) {
  const index = new Map(nodes.map((n, i) => [n.peer, i]));
  const pos = nodes.map((_, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, nodes.length);
    return { x: width / 2 + (width / 3) * Math.cos(a), y: height / 2 + (height / 3) * Math.sin(a) };
  });
  const links = edges
    .map((e) => [index.get(e.from), index.get(e.to)])
    .filter(([a, b]) => a !== undefined && b !== undefined && a !== b);
  const k = Math.sqrt((width * height) / Math.max(1, nodes.length));
  for (let step = 0; step < steps; step++) {
    const force = pos.map(() => ({ x: 0, y: 0 }));
    for (let i = 0; i < pos.length; i++) {
      for (let j = i + 1; j < pos.length; j++) {
        const dx = pos[i].x - pos[j].x || 0.01;
        const dy = pos[i].y - pos[j].y || 0.01;
        const d2 = dx * dx + dy * dy;
        const f = (k * k) / d2;
        force[i].x += dx * f;
        force[i].y += dy * f;
        force[j].x -= dx * f;
        force[j].y -= dy * f;
      }
    }
    for (const [a, b] of links) {
      const dx = pos[a].x - pos[b].x;
      const dy = pos[a].y - pos[b].y;
      const d = Math.sqrt(dx * dx + dy * dy) || 0.01;
      const f = d / k;
      force[a].x -= dx * f;
      force[a].y -= dy * f;
      force[b].x += dx * f;
      force[b].y += dy * f;
    }
    const temperature = (width / 10) * (1 - step / steps);
    pos.forEach((p, i) => {
      force[i].x += (width / 2 - p.x) * 0.01;
      force[i].y += (height / 2 - p.y) * 0.01;
      const d = Math.sqrt(force[i].x ** 2 + force[i].y ** 2) || 1;
      p.x = Math.min(width - 10, Math.max(10, p.x + (force[i].x / d) * Math.min(d, temperature)));
      p.y = Math.min(height - 10, Math.max(10, p.y + (force[i].y / d) * Math.min(d, temperature)));
    });
  }
  return { pos, links };
}

export function drawTopology(el, crawl, self) {
  const { nodes, edges } = crawl;
  const { pos, links } = layout(nodes, edges, 800, 500);
  const lines = links.map(([a, b]) =>
    svg("line", { x1: pos[a].x, y1: pos[a].y, x2: pos[b].x, y2: pos[b].y, class: "edge" }),
  );
  const dots = nodes.map((n, i) => {
    const reach = { yes: "reachable", no: "unreachable" }[n.reachable] ?? "unknown";
    const cls = n.peer === self ? "self" : reach;
    const title = `${n.peer}\n${n.agent || "agent unknown"}\nreachable: ${n.reachable}`;
    return svg(
      "g",
      { class: `node ${cls}`, transform: `translate(${pos[i].x.toFixed(1)},${pos[i].y.toFixed(1)})` },
      svg("title", {}, title),
      svg("circle", { r: 6 }),
      nodes.length <= 60 ? svg("text", { x: 8, y: 4 }, short(n.peer)) : null,
    );
  });
  replace(el, ...lines, ...dots);
}
