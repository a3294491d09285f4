// elecbay classroom: helpers shared by the student's and the teacher's pages.
"use strict";
function $(id) { return document.getElementById(id); }
function fmt(x, d) { return (x === null || x === undefined) ? "-" : Number(x).toFixed(d === undefined ? 2 : d); }
function wsUrl(path) { return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path; }
function esc(s) { return String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c])); }
// A step chart on a <canvas>: series = [{points: [[x, y], ...], color, step, dots, dash}].
function drawChart(canvas, series, opts) {
  const dpr = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = w * dpr; canvas.height = h * dpr;
  const g = canvas.getContext("2d"); g.scale(dpr, dpr); g.clearRect(0, 0, w, h);
  const pad = 40; let xs = [], ys = [];
  series.forEach(s => s.points.forEach(p => { xs.push(p[0]); ys.push(p[1]); }));
  if (opts.ylo !== undefined) ys.push(opts.ylo); if (opts.yhi !== undefined) ys.push(opts.yhi);
  if (!xs.length) return;
  const x0 = Math.min(0, ...xs), x1 = Math.max(...xs, x0 + 1), y0 = Math.min(...ys), y1 = Math.max(...ys, y0 + 1e-9);
  const X = x => pad + (x - x0) / (x1 - x0) * (w - pad - 10), Y = y => h - pad + 10 - (y - y0) / (y1 - y0) * (h - pad - 10);
  g.strokeStyle = "#999"; g.strokeRect(pad, 10, w - pad - 10, h - pad);
  g.fillStyle = "#555"; g.font = "12px sans-serif";
  g.fillText(fmt(y1, 2), 2, 16); g.fillText(fmt(y0, 2), 2, h - pad + 10); g.fillText(opts.xlabel || "", w / 2, h - 8);
  series.forEach(s => {
    g.strokeStyle = g.fillStyle = s.color; g.setLineDash(s.dash || []); g.beginPath();
    let prev = null;
    s.points.forEach((p, i) => {
      if (s.step) { const xa = i ? s.points[i - 1][0] : x0; if (!i) g.moveTo(X(xa), Y(p[1])); else g.lineTo(X(xa), Y(p[1])); g.lineTo(X(p[0]), Y(p[1])); }
      else if (!s.dots) { if (!prev) g.moveTo(X(p[0]), Y(p[1])); else g.lineTo(X(p[0]), Y(p[1])); }
      prev = p;
    });
    g.stroke(); g.setLineDash([]);
    if (s.dots) s.points.forEach(p => { g.beginPath(); g.arc(X(p[0]), Y(p[1]), 3.5, 0, 7); g.fill(); });
    if (s.label) g.fillText(s.label, X(s.points[s.points.length - 1][0]) - 60, Y(s.points[s.points.length - 1][1]) - 6);
  });
}
