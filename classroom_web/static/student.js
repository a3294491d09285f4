// elecbay classroom, the student's page: join with the code, then trade over a WebSocket.
"use strict";
let ws = null, me = null, pub = null, nextId = 1;
const params = new URLSearchParams(location.search);
if (params.get("code")) $("code").value = params.get("code");

function show(id, on) { $(id).classList.toggle("hidden", !on); }
function say(id, text, kind) { const el = $(id); el.textContent = text; el.className = "msg " + (kind || ""); }

async function join() {
  const r = await fetch("/api/join", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({code: $("code").value, name: $("name").value})});
  const body = await r.json();
  if (!r.ok) { say("joinMsg", body.message, "error"); return; }
  sessionStorage.setItem("elecbay_token", body.token);
  connect(body.token);
}

function connect(token) {
  ws = new WebSocket(wsUrl("/ws?token=" + encodeURIComponent(token)));
  ws.onmessage = ev => {
    const m = JSON.parse(ev.data);
    if (m.type === "state") { pub = m.public; me = m.me; render(); }
    else if (m.type === "error") {
      if (m.field === "token") { sessionStorage.removeItem("elecbay_token"); show("join", true); say("joinMsg", m.message, "error"); }
      else say(pub && pub.mechanism === "grid" ? "curveMsg" : "orderMsg", m.field + ": " + m.message, "error");
    } else if (m.type === "ack" && pub && pub.mechanism === "grid") {
      say("curveMsg", m.cancelled === undefined ? "Curve received: it clears when the period ends." : "Curve withdrawn.", "ok");
    } else if (m.type === "ack") {
      say("orderMsg", m.trades && m.trades.length ? "Traded at " + fmt(m.trades[0].price) + "!" : (m.cancelled === undefined ? "Order placed." : "Order cancelled."), "ok");
    }
  };
  ws.onclose = () => say("orderMsg", "Disconnected: reload the page to reconnect.", "error");
}

function render() {
  show("join", false);
  const grid = pub.mechanism === "grid";
  ["card", "trade", "tape"].forEach(id => show(id, !grid || id === "card")); show("grid", grid);
  $("title").textContent = pub.title + " - " + (me.name || "");
  $("status").textContent = "period " + pub.period + "/" + pub.periods + ": " + pub.status;
  const buyer = me.role === "buyer";
  $("role").innerHTML = '<span class="' + me.role + '">' + (buyer ? "Buyer" : "Seller") + "</span>" + (me.label ? " (" + esc(me.label) + ")" : "");
  const per = pub.unit === "MWh" ? " per MWh, " + fmt(me.unit_qty, 1) + " MW each" : "";
  let rows = "<tr><th>unit</th><th>" + (buyer ? "value" : "cost") + per + "</th><th></th></tr>";
  me.limits.forEach((v, i) => { rows += "<tr><td>" + (i + 1) + "</td><td>" + fmt(v) + "</td><td>" + (i < me.traded - 1e-9 ? "traded" : "") + "</td></tr>"; });
  $("units").innerHTML = rows;
  $("profit").textContent = fmt(me.profit); $("pprofit").textContent = fmt(me.period_profit);
  $("bestBid").textContent = fmt(pub.best_bid); $("bestAsk").textContent = fmt(pub.best_ask);
  $("left").textContent = fmt(pub.time_left, 0);
  $("send").textContent = buyer ? "Bid (buy)" : "Ask (sell)";
  show("unitRow", pub.mechanism === "call");
  if (pub.mechanism === "call" && $("unit").options.length !== me.limits.length)
    $("unit").innerHTML = me.limits.map((v, i) => "<option value=" + i + ">unit " + (i + 1) + "</option>").join("");
  $("trades").innerHTML = pub.trades.length ? pub.trades.map(t => fmt(t.price)).join(", ") : "none yet";
  if (grid) renderGrid(buyer);
}

// The electricity experiment: a curve of up to max_steps [price, MW] steps.
function renderGrid(buyer) {
  $("units").innerHTML = "<tr><td>" + (buyer ? "value of energy" : "marginal cost") + "</td><td>" + fmt(me.limits[0]) +
    " per MWh</td></tr><tr><td>MW per step</td><td>0.." + fmt(me.unit_qty, 1) + "</td></tr><tr><td>price range</td><td>" +
    fmt(me.price_lo, 0) + ".." + fmt(me.price_hi, 0) + "</td></tr>";
  if (!$("curve").rows.length) {
    let rows = "<tr><th>step</th><th>price per MWh</th><th>MW</th></tr>";
    for (let k = 0; k < me.max_steps; k++)
      rows += "<tr><td>" + (k + 1) + "</td><td><input id='p" + k + "' inputmode='decimal' autocomplete='off'></td><td><input id='q" + k + "' inputmode='decimal' autocomplete='off'></td></tr>";
    $("curve").innerHTML = rows;
  }
  $("sendCurve").textContent = buyer ? "Send my bid curve (buy)" : "Send my offer curve (sell)";
  $("gridPrice").textContent = fmt(pub.last_price); $("gridLeft").textContent = fmt(pub.time_left, 0);
  const st = me.statement;
  if (st) {
    const rows = [["period", st.period], ["your curve", st.source === "student" ? "yours" : "none sent: the default policy bid for you"],
      ["energy traded (MWh)", fmt(st.energy_mwh, 2)], ["contract (MW)", fmt(st.contract_mw, 2)], ["imbalance (MWh)", fmt(st.imbalance_mwh, 2)],
      ["costs", fmt(st.costs)], ["profit", fmt(st.profit)]];
    $("statement").innerHTML = rows.map(r => "<tr><td>" + r[0] + "</td><td>" + esc(r[1]) + "</td></tr>").join("");
  }
  $("merit").innerHTML = "<tr><th>price per MWh</th><th>MW</th></tr>" + pub.merit_order.map(r => "<tr><td>" + fmt(r[0]) + "</td><td>" + fmt(r[1], 1) + "</td></tr>").join("");
}

function sendCurve() {
  const steps = [];
  for (let k = 0; k < me.max_steps; k++) {
    const p = $("p" + k).value.trim(), q = $("q" + k).value.trim();
    if (p === "" && q === "") continue;
    if (!isFinite(Number(p)) || !isFinite(Number(q)) || p === "" || q === "") { say("curveMsg", "step " + (k + 1) + ": type a price and a MW", "error"); return; }
    steps.push([Number(p), Number(q)]);
  }
  ws.send(JSON.stringify({type: "order", id: nextId++, steps: steps}));
}

function send() {
  const text = $("price").value.trim(), price = Number(text);
  if (text === "" || !isFinite(price)) { say("orderMsg", "price: type a number", "error"); return; }
  const msg = {type: "order", id: nextId++, side: me.side, price: price};
  if (pub.mechanism === "call") msg.unit = Number($("unit").value);
  ws.send(JSON.stringify(msg));
}

$("joinBtn").onclick = join;
$("sendCurve").onclick = sendCurve;
$("cancelCurve").onclick = () => ws.send(JSON.stringify({type: "cancel", id: nextId++}));
$("send").onclick = send;
$("price").addEventListener("keydown", e => { if (e.key === "Enter") send(); });
$("cancel").onclick = () => ws.send(JSON.stringify({type: "cancel", id: nextId++}));
const saved = sessionStorage.getItem("elecbay_token");
if (saved) connect(saved);
