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
      else say("orderMsg", m.field + ": " + m.message, "error");
    } else if (m.type === "ack") {
      say("orderMsg", m.trades && m.trades.length ? "Traded at " + fmt(m.trades[0].price) + "!" : (m.cancelled === undefined ? "Order placed." : "Order cancelled."), "ok");
    }
  };
  ws.onclose = () => say("orderMsg", "Disconnected: reload the page to reconnect.", "error");
}

function render() {
  show("join", false); ["card", "trade", "tape"].forEach(id => show(id, true));
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
}

function send() {
  const text = $("price").value.trim(), price = Number(text);
  if (text === "" || !isFinite(price)) { say("orderMsg", "price: type a number", "error"); return; }
  const msg = {type: "order", id: nextId++, side: me.side, price: price};
  if (pub.mechanism === "call") msg.unit = Number($("unit").value);
  ws.send(JSON.stringify(msg));
}

$("joinBtn").onclick = join;
$("send").onclick = send;
$("price").addEventListener("keydown", e => { if (e.key === "Enter") send(); });
$("cancel").onclick = () => ws.send(JSON.stringify({type: "cancel", id: nextId++}));
const saved = sessionStorage.getItem("elecbay_token");
if (saved) connect(saved);
