// elecbay classroom, the teacher's page: live figures over a WebSocket, controls, replay.
"use strict";
const key = new URLSearchParams(location.search).get("key") || "";
let ws = null, data = null, replaying = false;

function send(msg) { ws.send(JSON.stringify(msg)); }
function say(text, kind) { const el = $("msg"); el.textContent = text; el.className = "msg " + (kind || ""); }

function connect() {
  ws = new WebSocket(wsUrl("/ws/teacher?key=" + encodeURIComponent(key)));
  ws.onmessage = ev => {
    const m = JSON.parse(ev.data);
    if (m.type === "teacher") { data = m.data; if (!replaying) render(data, data.all_trades); }
    else if (m.type === "error") say(m.field + ": " + m.message, "error");
  };
  ws.onclose = () => say("Disconnected: reload the page.", "error");
}

// The electricity experiment: price per period, the last book, efficiency vs merit order.
function renderGrid(d) {
  $("eqQ").parentNode.firstChild.textContent = "Benchmark: "; $("eqQ").textContent = ""; $("eqQ").nextSibling.textContent = "";
  $("eqP").textContent = "merit-order welfare " + fmt(d.equilibrium.max_surplus, 0) + " (same periods, same draws)";
  let rows = "<tr><th>period</th><th>price</th><th>eff. %</th><th>silent</th></tr>";
  d.per_period.forEach(p => { rows += "<tr><td>" + p.period + "</td><td>" + fmt(p.price) + "</td><td title='welfare " + fmt(p.welfare, 0) + " vs merit order " + fmt(p.merit_welfare, 0) + "'>" + fmt(100 * p.efficiency, 1) + "</td><td>" + p.defaults.map(i => "seat " + (i + 1)).join(", ") + "</td></tr>"; });
  $("periods").innerHTML = rows;
  $("sd").previousElementSibling.textContent = "Supply and demand (last period's book)";
  $("prices").previousElementSibling.textContent = "Clearing price per period";
  drawChart($("sd"), [
    {points: d.curves.demand, color: "#1f6feb", step: true, label: "demand"},
    {points: d.curves.supply, color: "#c2410c", step: true, label: "supply"},
  ], {xlabel: "MW (last period's book)"});
  drawChart($("prices"), [{points: d.prices.map((p, i) => [i + 1, p]), color: "#15803d", dots: true}], {xlabel: "period"});
  $("lastTrade").textContent = d.prices.length ? "clearing price per period (per MWh); last " + fmt(d.prices[d.prices.length - 1]) : "no period cleared yet";
  let seats = "<tr><th>seat</th><th>role</th><th>MWh</th><th>profit</th></tr>";
  d.seats.forEach(s => {
    const who = esc(s.name) + (s.student && s.submitted ? " &#10003;" : "");
    seats += "<tr><td>" + who + "</td><td class='" + s.role + "'>" + esc(s.label) + "</td><td>" + fmt(s.traded, 1) + "</td><td>" + fmt(s.profit, 0) + "</td></tr>";
  });
  $("seats").innerHTML = seats;
}

function render(d, trades) {
  $("title").textContent = d.title;
  $("status").textContent = "period " + d.period + "/" + d.periods + ": " + d.status;
  $("code").textContent = d.join_code;
  $("link").textContent = location.origin + "/?code=" + d.join_code;
  $("nStudents").textContent = d.students; $("nBots").textContent = d.bots;
  $("left").textContent = fmt(d.time_left, 0);
  $("eff").textContent = d.period && d.efficiency !== null ? fmt(100 * d.efficiency, 1) + " %" : "-";
  const eq = d.equilibrium;
  $("eqQ").textContent = fmt(eq.quantity, 1);
  $("eqP").textContent = eq.price_lo === eq.price_hi ? fmt(eq.price) : fmt(eq.price_lo) + "-" + fmt(eq.price_hi);
  $("source").textContent = "(" + d.source + ")";
  if (d.mechanism === "grid") { renderGrid(d); return; }
  let rows = "<tr><th>period</th><th>trades</th><th>eff. %</th><th title=\"Smith's coefficient of convergence\">alpha %</th></tr>";
  d.per_period.forEach(p => { rows += "<tr><td>" + p.period + "</td><td>" + p.trades + "</td><td>" + fmt(100 * p.efficiency, 1) + "</td><td>" + fmt(p.alpha, 1) + "</td></tr>"; });
  $("periods").innerHTML = rows;
  drawChart($("sd"), [
    {points: d.curves.demand, color: "#1f6feb", step: true, label: "demand"},
    {points: d.curves.supply, color: "#c2410c", step: true, label: "supply"},
    {points: [[0, eq.price], [Math.max(...d.curves.demand.map(p => p[0]), 1), eq.price]], color: "#888", dash: [5, 4]},
  ], {xlabel: "quantity (" + d.unit + ")"});
  const pts = trades.map((t, i) => [i + 1, t.price]);
  drawChart($("prices"), [
    {points: pts, color: "#15803d", dots: true},
    {points: [[0, eq.price], [Math.max(pts.length, 1), eq.price]], color: "#888", dash: [5, 4], label: "predicted"},
  ], {xlabel: "trade number", ylo: eq.price_lo, yhi: eq.price_hi});
  const last = trades[trades.length - 1];
  $("lastTrade").textContent = last ? trades.length + " trades; last at " + fmt(last.price) + " (period " + last.period + ")" : "no trades yet";
  let seats = "<tr><th>seat</th><th>role</th><th>traded</th><th>profit</th></tr>";
  d.seats.filter(s => s.student || s.bot).forEach(s => {
    seats += "<tr><td>" + esc(s.name) + "</td><td class='" + s.role + "'>" + s.role + (s.label ? " " + esc(s.label) : "") + "</td><td>" + fmt(s.traded, 1) + "</td><td>" + fmt(s.profit) + "</td></tr>";
  });
  $("seats").innerHTML = seats;
}

async function replay() {
  const r = await fetch("/api/teacher/replay?key=" + encodeURIComponent(key));
  const rep = await r.json(), trades = rep.log.filter(e => e.kind === "trade");
  replaying = true; say("Replaying " + trades.length + " trades...", "ok");
  for (let k = 0; k <= trades.length; k++) {
    render(data, trades.slice(0, k));
    await new Promise(res => setTimeout(res, Math.max(20, 3000 / Math.max(trades.length, 1))));
  }
  replaying = false; say("Replay done.", "ok");
}

$("start").onclick = () => send({type: "start"});
$("pause").onclick = () => send({type: "pause"});
$("end").onclick = () => send({type: "end"});
$("addBots").onclick = () => { const n = $("botN").value.trim(); send({type: "add_bots", kind: $("botKind").value, n: n ? Number(n) : null}); };
$("removeBots").onclick = () => send({type: "remove_bots"});
$("names").onchange = () => send({type: "names", show: $("names").checked});
$("csv").href = "/api/teacher/export.csv?key=" + encodeURIComponent(key);
$("replayLink").onclick = e => { e.preventDefault(); replay(); };
connect();
