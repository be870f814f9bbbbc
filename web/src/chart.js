// The bandwidth chart: the transport's byte counters, sampled once a second by the live stream,
// turned into rates and drawn as two lines (sent, received) over the last samplesMax seconds.
import { rate, svg, replace } from "./dom.js";

export class BandwidthChart {
  constructor(el, samplesMax = 120) {
    this.el = el;
    this.samplesMax = samplesMax;
    this.last = null; // the previous {time_ms, sent, received}
    this.points = []; // {sent, received} bytes per second
  }

  add(timeMs, sent, received) {
    if (this.last && timeMs > this.last.timeMs) {
      const seconds = (timeMs - this.last.timeMs) / 1000;
      this.points.push({
        sent: Math.max(0, sent - this.last.sent) / seconds,
        received: Math.max(0, received - this.last.received) / seconds,
      });
      if (this.points.length > this.samplesMax) this.points.shift();
    }
    this.last = { timeMs, sent, received };
    this.draw();
  }

  latest() {
    return this.points.at(-1) ?? { sent: 0, received: 0 };
  }

  draw() {
    const width = 600;
    const height = 160;
    const top = Math.max(1024, ...this.points.map((p) => Math.max(p.sent, p.received)));
    const x = (i) => (width * i) / Math.max(1, this.samplesMax - 1);
    const y = (v) => height - 4 - ((height - 20) * v) / top;
    const offset = this.samplesMax - this.points.length;
    const line = (key) =>
      this.points.map((p, i) => `${x(offset + i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
    replace(
      this.el,
      svg("line", { x1: 0, x2: width, y1: y(top), y2: y(top), class: "grid" }),
      svg("text", { x: 4, y: 12, class: "axis" }, `${rate(top)}`),
      svg("polyline", { points: line("received"), class: "received" }),
      svg("polyline", { points: line("sent"), class: "sent" }),
    );
  }
}
