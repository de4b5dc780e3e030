// The ShareChain explorer: a single page over /explorer/api (docs/explorer.md). Hash routes
// (#/block/12, #/tx/HASH, #/account/ADDRESS, #/asset/ID, #/investor/ADDRESS, #/vehicle/VIN,
// #/validators) so a URL can be shared; #/verify checks a proof bundle offline (verify.js). No
// framework and no build step.
"use strict";

const API = "/explorer/api/";
const view = document.getElementById("view");
const COLORS = ["#1f6feb", "#d97706", "#067647", "#9333ea", "#dc2626", "#0891b2", "#65a30d", "#db2777"];
let pollTimer = null;
let routeToken = 0;

// ---- helpers -------------------------------------------------------------------------------

function esc(v) {
  return String(v === undefined || v === null ? "" : v).replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
// Units as credits with two decimals, integer arithmetic only: 123456 -> "1234.56".
function credits(units) {
  const u = Math.trunc(Number(units) || 0);
  const whole = Math.trunc(u / 100);
  const cents = Math.abs(u % 100);
  return whole + "." + (cents < 10 ? "0" : "") + cents;
}
function amount(units, field) {
  const attr = field ? ` data-field="${esc(field)}"` : "";
  return `<span class="amount"${attr} data-units="${esc(units)}" title="${esc(units)} units">${credits(units)}</span>`;
}
function time(ms) {
  if (!ms) return "-";
  return new Date(Number(ms)).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}
function short(h, n) {
  const s = String(h || "");
  const k = n || 16;
  return s.length > k ? s.slice(0, k) + "…" : s;
}
const link = {
  block: (id, text) => `<a href="#/block/${esc(id)}">${esc(text === undefined ? id : text)}</a>`,
  tx: (h, text) => `<a class="mono" href="#/tx/${esc(h)}">${esc(text === undefined ? short(h) : text)}</a>`,
  account: (a, text) => (a ? `<a class="mono" href="#/account/${esc(a)}">${esc(text === undefined ? a : text)}</a>` : "-"),
  asset: (id, text) => `<a href="#/asset/${esc(id)}">${esc(text || short(id))}</a>`,
  investor: (a, text) => `<a href="#/investor/${esc(a)}">${esc(text || "investor view")}</a>`,
  vehicle: (vin) => `<a href="#/vehicle/${esc(vin)}">${esc(vin)}</a>`,
};
function kv(pairs) {
  return `<dl class="kv">${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}
function table(headers, rows, empty) {
  if (!rows.length) return `<p class="muted">${esc(empty || "(none)")}</p>`;
  const th = headers.map((h) => {
    const num = h.endsWith(" #");
    return `<th class="${num ? "num" : ""}">${esc(num ? h.slice(0, -2) : h)}</th>`;
  }).join("");
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td class="${headers[i].endsWith(" #") ? "num" : ""}">${c}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}
function card(label, value, field) {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value"${field ? ` data-field="${esc(field)}"` : ""}>${value}</div></div>`;
}
function showError(message, status) {
  view.innerHTML = `<h1>${status === 404 ? "Not found" : "Cannot show this"}</h1><div class="error" data-status="${esc(status)}">${esc(message)}</div><p><a href="#/">Back to the chain</a></p>`;
}

// GETs an API path; resolves to the JSON, or rejects with {status, message}.
async function get(path) {
  let res;
  try {
    res = await fetch(API + path, { cache: "no-store" });
  } catch (e) {
    throw { status: 0, message: "the node does not answer (" + e.message + ")" };
  }
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) throw { status: res.status, message: (body && body.error) || ("HTTP " + res.status) };
  return body;
}

// ---- charts (inline SVG drawn here) ---------------------------------------------------------

// Lines of `series` ([{name, color, values}]) over `labels`, y from 0 to the largest value.
function lineChart(labels, series, unit) {
  const W = 760, H = 200, L = 44, R = 10, T = 10, B = 24;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i) => L + (labels.length <= 1 ? 0 : (i * (W - L - R)) / (labels.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  let g = "";
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    g += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eceff3"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${esc(+v.toFixed(2))}</text>`;
  }
  const step = Math.max(1, Math.ceil(labels.length / 6));
  labels.forEach((l, i) => { if (i % step === 0) g += `<text x="${x(i)}" y="${H - 6}" text-anchor="middle">${esc(l)}</text>`; });
  for (const s of series) {
    const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    g += `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`;
  }
  const legend = series.map((s) => `<span><i style="background:${s.color}"></i>${esc(s.name)}</span>`).join("");
  return `<div class="chart"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(unit)}">${g}</svg><div class="legend">${legend}</div></div>`;
}

// Stacked bars: one bar per label, one segment per series.
function barChart(labels, series, id) {
  const W = 760, H = 220, L = 60, R = 10, T = 10, B = 24;
  const totals = labels.map((_, i) => series.reduce((a, s) => a + (s.values[i] || 0), 0));
  const max = Math.max(1, ...totals);
  const slot = (W - L - R) / Math.max(1, labels.length);
  const bw = Math.max(4, Math.min(48, slot * 0.7));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  let g = "";
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    g += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eceff3"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${credits(Math.round(v))}</text>`;
  }
  labels.forEach((l, i) => {
    const cx = L + slot * i + slot / 2;
    let base = 0;
    series.forEach((s) => {
      const v = s.values[i] || 0;
      if (v > 0) {
        g += `<rect x="${(cx - bw / 2).toFixed(1)}" y="${y(base + v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${s.color}"><title>${esc(s.name)} ${esc(l)}: ${credits(v)}</title></rect>`;
      }
      base += v;
    });
    g += `<text x="${cx}" y="${H - 6}" text-anchor="middle">${esc(l)}</text>`;
  });
  const legend = series.map((s) => `<span><i style="background:${s.color}"></i>${esc(s.name)}</span>`).join("");
  return `<div class="chart" id="${esc(id || "")}"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="income by month">${g}</svg><div class="legend">${legend}</div></div>`;
}

// ---- pages ----------------------------------------------------------------------------------

function blockRows(blocks) {
  return blocks.map((b) => [link.block(b.height), link.block(b.hash, short(b.hash)), esc(time(b.timestamp_ms)),
    esc(b.transactions), esc(b.proposer), esc(b.signers)]);
}

// Blocks/s and tx/s of the last minute, as the node's tip answers them.
const rateHistory = [];
async function pageHome(token) {
  const tip = await get("tip");
  if (token !== routeToken) return;
  const s = tip.series || [];
  const labels = s.map((p) => new Date(p.t_ms).toISOString().slice(14, 19));
  const node = tip.node || {};
  rateHistory.push(tip.rates.tx_per_s);
  view.innerHTML = `<h1>Chain <span class="mono">${esc(tip.chain_id)}</span></h1>
    <div class="cards">
      ${card("height", link.block(tip.height), "height")}
      ${card("last block", tip.height ? link.block(tip.hash, short(tip.hash, 12)) : "-")}
      ${card("blocks/s (last minute)", esc(tip.rates.blocks_per_s.toFixed(2)), "blocks_per_s")}
      ${card("tx/s (last minute)", esc(tip.rates.tx_per_s.toFixed(2)), "tx_per_s")}
      ${card("view / primary", esc((node.view !== undefined ? node.view : "-") + " / " + (node.primary !== undefined ? node.primary : "-")))}
      ${card("this node", esc((node.name || "") + (node.synced === false ? " (not synced)" : "")))}
      ${card("mempool", esc(node.mempool_size !== undefined ? node.mempool_size : "-"))}
    </div>
    <h2>Blocks and transactions per second</h2>
    ${lineChart(labels, [
      { name: "blocks/s", color: COLORS[0], values: s.map((p) => p.blocks) },
      { name: "tx/s", color: COLORS[1], values: s.map((p) => p.transactions) },
    ], "blocks and transactions per second")}
    <h2>Last blocks</h2>
    ${table(["height", "hash", "time", "txs #", "proposer #", "signers #"], blockRows(tip.recent || []), "no block committed yet")}
    <p><a href="#/blocks/${esc(tip.height)}">older blocks</a></p>`;
}

async function pageBlocks(token, before) {
  const b = await get("blocks?limit=50&before=" + encodeURIComponent(Number(before) + 1));
  if (token !== routeToken) return;
  view.innerHTML = `<h1>Blocks</h1>${table(["height", "hash", "time", "txs #", "proposer #", "signers #"], blockRows(b.blocks))}
    ${b.next_before ? `<p><a href="#/blocks/${esc(b.next_before)}">older</a></p>` : ""}`;
}

async function pageBlock(token, id) {
  const b = await get("block/" + encodeURIComponent(id));
  if (token !== routeToken) return;
  const txs = b.transactions.map((t) => [link.tx(t.hash), link.account(t.sender), esc((t.call || {}).contract + " " + (t.call || {}).action),
    t.status === "ok" ? `<span class="ok">ok</span>` : `<span class="bad">${esc(t.status)}</span> ${esc(t.error)}`]);
  const signers = (b.signers || []).map((s) => [esc(s.validator), esc(s.name), link.account(s.address)]);
  view.innerHTML = `<h1>Block ${esc(b.height)}</h1>
    ${kv([["hash", `<span class="mono" data-field="hash">${esc(b.hash)}</span>`],
          ["previous", b.height > 1 ? link.block(b.height - 1, b.prev_hash) : `<span class="mono">${esc(b.prev_hash)}</span>`],
          ["time", esc(time(b.timestamp_ms))], ["view", esc(b.view)], ["proposer", esc(b.proposer)],
          ["state root", `<span class="mono">${esc(b.state_root)}</span>`], ["tx root", `<span class="mono">${esc(b.tx_root)}</span>`],
          ["transactions", `<span data-field="tx_count">${esc(b.transactions.length)}</span>`],
          ["next", b.height < b.tip ? link.block(b.height + 1) : "(the tip)"]])}
    <h2>Transactions</h2>${table(["hash", "sender", "call", "result"], txs, "no transactions")}
    <h2>Commit certificate: ${esc(signers.length)} signers (view ${esc((b.certificate || {}).view)})</h2>
    ${table(["validator #", "name", "address"], signers)}`;
}

function eventsTable(events) {
  return table(["contract", "event", "attributes"], (events || []).map((e) => [esc(e.contract), esc(e.name),
    // A verified bundle's attributes come as a Map (verify.js), the API's as an object.
    (e.attributes instanceof Map ? [...e.attributes] : Object.entries(e.attributes || {})).map(([k, v]) => `${esc(k)}=<span class="mono">${esc(v)}</span>`).join("<br>")]));
}

async function pageTx(token, hash) {
  const t = await get("tx/" + encodeURIComponent(hash));
  if (token !== routeToken) return;
  const r = t.receipt || {};
  view.innerHTML = `<h1>Transaction</h1>
    ${kv([["hash", `<span class="mono" data-field="hash">${esc(t.hash)}</span>`],
          ["status", r.ok ? `<span class="ok" data-field="result">ok</span>` : `<span class="bad" data-field="result">${esc(r.status)}</span> ${esc(r.error)}`],
          ["block", link.block(t.height)], ["index", esc(t.index)], ["time", esc(time(t.timestamp_ms))],
          ["sender", link.account(t.sender)], ["nonce", esc(t.nonce)],
          ["call", esc((t.call || {}).contract + " " + (t.call || {}).action)]])}
    <h2>Arguments</h2><pre>${esc(JSON.stringify((t.call || {}).args, null, 2))}</pre>
    <h2>Events</h2>${eventsTable(r.events)}
    ${(r.created || []).length ? `<h2>Created</h2>${table(["kind", "id"], r.created.map((c) => [esc(c.kind), c.kind === "asset" ? link.asset(c.id, c.id) : `<span class="mono">${esc(c.id)}</span>`]))}` : ""}`;
}

async function pageValidators(token) {
  const v = await get("validators");
  if (token !== routeToken) return;
  const rows = v.validators.map((x) => [esc(x.index), esc(x.name) + (x.is_self ? " (this node)" : "") + (x.is_primary ? " (primary)" : ""),
    link.account(x.address), `<span class="mono">${esc(short(x.public_key, 20))}</span>`,
    x.connected === undefined ? "-" : (x.connected ? `<span class="ok">up</span>` : `<span class="bad">down</span>`),
    x.last_signed_height ? link.block(x.last_signed_height) : "-", esc(x.signed_recent + " / " + v.window_blocks), esc(x.proposed_recent)]);
  view.innerHTML = `<h1>Validators</h1>
    <p class="muted">View ${esc(v.view)}, primary ${esc(v.primary)}. Liveness from this node's links and the commit certificates of the last ${esc(v.window_blocks)} blocks.</p>
    ${table(["# #", "name", "address", "public key", "link", "last signed", "signed", "proposed #"], rows)}`;
}

async function pageAccount(token, address) {
  const a = await get("account/" + encodeURIComponent(address));
  if (token !== routeToken) return;
  const sessions = a.sessions.map((s) => [`<span class="mono">${esc(short(s.id))}</span>`, link.asset(s.asset_id), esc(s.status), esc(time(s.started_at_ms)), s.vehicle_vin ? link.vehicle(s.vehicle_vin) : "-"]);
  view.innerHTML = `<h1>Account <span class="mono">${esc(a.address)}</span></h1>
    <div class="cards">
      ${card("balance (credits)", amount(a.balance, "balance"))}
      ${card("escrow (credits)", amount(a.escrow, "escrow"))}
      ${card("nonce", `<span data-field="nonce">${esc(a.nonce)}</span>`)}
      ${card("income received", a.income_received ? amount(a.income_received.total, "income_received") : "-")}
    </div>
    ${kv([["roles", `<span data-field="roles">${esc(a.roles.join(", ") || "(none)")}</span>`], ["organisation", esc(a.organisation || "-")],
          ["known to the chain", a.exists ? "yes" : "no (an empty account)"], ["investor", link.investor(a.address, "investor dashboard")]])}
    <h2>Assets owned</h2>${table(["asset", "name", "kind", "status"], a.assets.map((x) => [link.asset(x.id), esc(x.name), esc(x.kind), esc(x.status)]))}
    <h2>Vehicles owned</h2>${table(["VIN"], a.vehicles.map((v) => [link.vehicle(v)]))}
    <h2>Sessions as a user</h2>${table(["session", "asset", "status", "started", "vehicle"], sessions)}`;
}

function periodRows(periods) {
  return periods.map((p) => [esc(p.month), amount(p.income), amount(p.passed_to_financiers), esc(p.distributions), esc(p.roi_percent)]);
}

async function pageAsset(token, id) {
  const a = await get("asset/" + encodeURIComponent(id));
  if (token !== routeToken) return;
  const agreements = a.agreements.map((g) => [`<span class="mono">${esc(short(g.id))}</span>`, esc(g.status), esc(g.version), esc(g.sessions), amount(g.income_total)]);
  const offers = a.financings.open.concat(a.financings.closed).map((f) => [`<span class="mono">${esc(short(f.financing))}</span>`,
    esc(f.status || "open"), amount(f.amount_sought), amount(f.raised !== undefined ? f.raised : f.subscribed), esc(f.subscribers), esc((f.share_bps / 100).toFixed(2) + "%")]);
  view.innerHTML = `<h1>Asset ${esc(a.name || a.id)}</h1>
    <div class="cards">
      ${card("income (credits)", amount(a.income, "income"))}
      ${card("net income", amount(a.net_income, "net_income"))}
      ${card("investment cost", amount(a.investment_cost, "investment_cost"))}
      ${card("return on investment", `<span data-field="roi_percent">${esc(a.roi_percent)}</span>`)}
    </div>
    ${kv([["id", `<span class="mono">${esc(a.id)}</span>`], ["kind", esc(a.kind)], ["status", esc(a.status)], ["location", esc(a.location)],
          ["owner", link.account(a.owner) + " · " + link.investor(a.owner)], ["passed to financiers", amount(a.passed_to_financiers)],
          ["distributions", esc(a.distributions)], ["first / last income", esc(time(a.first_income_at_ms) + " / " + time(a.last_income_at_ms))]])}
    <h2>Income by month</h2>
    ${a.periods.length ? barChart(a.periods.map((p) => p.month), [{ name: a.name || short(a.id), color: COLORS[0], values: a.periods.map((p) => p.income) }], "asset-income-chart") : ""}
    ${table(["month", "income #", "passed on #", "distributions #", "ROI #"], periodRows(a.periods), "no income yet")}
    <h2>Usage agreements</h2>${table(["agreement", "status", "version #", "sessions #", "income #"], agreements)}
    <h2>Financing rounds</h2>${table(["financing", "state", "sought #", "raised #", "subscribers #", "share #"], offers)}
    <h2>History</h2>${table(["#", "event", "actor", "block", "time"], a.history.map((h) => [esc(h.seq), esc(h.kind), link.account(h.actor), link.block(h.height), esc(time(h.timestamp_ms))]))}`;
}

async function pageInvestor(token, address) {
  const p = await get("investor/" + encodeURIComponent(address));
  if (token !== routeToken) return;
  const months = [...new Set(p.assets.flatMap((a) => a.periods.map((x) => x.month)))].sort();
  const series = p.assets.map((a, i) => ({
    name: a.name || short(a.id), color: COLORS[i % COLORS.length],
    values: months.map((m) => (a.periods.find((x) => x.month === m) || { income: 0 }).income),
  }));
  const t = p.totals;
  const assetRows = p.assets.map((a) => [link.asset(a.id, a.name), esc(a.kind), esc(a.status), amount(a.investment_cost), amount(a.income, "asset-income-" + a.id),
    amount(a.passed_to_financiers), amount(a.net_income), esc(a.roi_percent)]);
  const monthRows = p.income_by_month.map((m) => [esc(m.month), amount(m.income, "month-income-" + m.month), amount(m.passed_to_financiers), esc(m.distributions), esc(m.roi_percent)]);
  const byAsset = p.assets.flatMap((a) => a.periods.map((m) => [link.asset(a.id, a.name), esc(m.month), amount(m.income), esc(m.roi_percent)]));
  const subs = p.subscriptions.map((s) => [`<span class="mono">${esc(short(s.financing))}</span>`, link.asset(s.asset, s.asset_name), esc(s.state + (s.refunded ? " (refunded)" : "")),
    amount(s.amount), amount(s.paid_out), esc(s.payouts), esc(s.roi_percent)]);
  const open = p.offers.open.map((f) => [`<span class="mono">${esc(short(f.financing))}</span>`, link.asset(f.asset, f.asset_name), amount(f.amount_sought), amount(f.subscribed), esc(f.subscribers), esc(time(f.deadline_ms))]);
  const closed = p.offers.closed.map((f) => [`<span class="mono">${esc(short(f.financing))}</span>`, link.asset(f.asset, f.asset_name), esc(f.status), amount(f.amount_sought), amount(f.raised), amount(f.paid_out)]);
  view.innerHTML = `<h1>Investor <span class="mono">${esc(p.account)}</span></h1>
    <p class="muted">At height ${esc(p.read_at_height)} · ${link.account(p.account, "account page")}</p>
    <div class="cards">
      ${card("balance", amount(p.balance, "balance"))}
      ${card("assets", `<span data-field="asset_count">${esc(t.assets)}</span>`)}
      ${card("investment cost", amount(t.investment_cost, "total_cost"))}
      ${card("income", amount(t.income, "total_income"))}
      ${card("net income", amount(t.net_income, "total_net_income"))}
      ${card("return on investment", `<span data-field="total_roi">${esc(t.roi_percent)}</span>`)}
    </div>
    <h2>Monthly income by asset</h2>
    ${months.length ? barChart(months, series, "investor-income-chart") : `<p class="muted">no income yet</p>`}
    <h2>Assets owned</h2>${table(["asset", "kind", "status", "cost #", "income #", "passed on #", "net #", "ROI #"], assetRows)}
    <h2>Income by month</h2>${table(["month", "income #", "passed on #", "distributions #", "ROI #"], monthRows, "no income yet")}
    <h2>Income by asset and month</h2>${table(["asset", "month", "income #", "ROI #"], byAsset, "no income yet")}
    <h2>Financing offered: open</h2>${table(["financing", "asset", "sought #", "subscribed #", "subscribers #", "deadline"], open)}
    <h2>Financing offered: closed</h2>${table(["financing", "asset", "outcome", "sought #", "raised #", "paid out #"], closed)}
    <h2>Subscriptions to other rounds</h2>${table(["financing", "asset", "state", "amount #", "paid out #", "payouts #", "ROI #"], subs)}
    <p>Payouts received: ${amount(p.payouts.total, "payouts_total")} credits on ${amount(p.payouts.invested)} invested (${esc(p.payouts.roi_percent)}).
       Income from agreements and split models: ${amount(p.income_received.total, "income_received")} credits in ${esc(p.income_received.entries)} distributions.</p>`;
}

async function pageVehicle(token, vin) {
  const v = await get("vehicle/" + encodeURIComponent(vin));
  if (token !== routeToken) return;
  const veh = v.vehicle || {};
  const endorsed = (r) => (r.endorsements || []).map((e) => link.account(e.attester || e.endorser || "", short(e.attester || e.endorser || "", 12))).join(" ");
  const recRows = v.records.map((r) => [esc(time(r.occurred_at_ms)), esc(r.kind), esc(r.status), esc(r.summary), esc(r.odometer_km), esc(r.organisation), endorsed(r)]);
  const owners = (v.owners || []).map((o) => [link.account(o.owner), esc(time(o.since_ms)), link.block(o.height), o.tx_hash ? link.tx(o.tx_hash) : "-"]);
  view.innerHTML = `<h1>Vehicle ${esc(v.vin)}</h1>
    <div class="cards">
      ${card("records", `<span data-field="records">${esc(veh.records)}</span>`)}
      ${card("attested", `<span data-field="attested">${esc(veh.attested)}</span>`)}
      ${card("pending", esc(v.pending))}
      ${card("last odometer (km)", esc(veh.last_odometer_km))}
    </div>
    ${kv([["owner", link.account(veh.owner)], ["flags", esc((v.flags || []).map((f) => f.kind || JSON.stringify(f)).join(", ") || "(none)")]])}
    <h2>Owners</h2>${table(["owner", "since", "block", "transaction"], owners)}
    <h2>Records and attestations</h2>${table(["occurred", "kind", "status", "summary", "odometer #", "organisation", "endorsed by"], recRows)}
    <h2>Usage sessions</h2>${table(["session", "asset", "status", "started"], v.sessions.map((s) => [`<span class="mono">${esc(short(s.id))}</span>`, link.asset(s.asset_id), esc(s.status), esc(time(s.started_at_ms))]))}`;
}

function pageNotFound(path) {
  view.innerHTML = `<h1>Not found</h1><div class="error" data-status="404">The explorer has no page ${esc(path)}.</div><p><a href="#/">Back to the chain</a></p>`;
}

// ---- routing and live updates ---------------------------------------------------------------

const routes = [
  [/^\/?$/, (t) => pageHome(t), true],
  [/^\/blocks\/(\d+)$/, (t, m) => pageBlocks(t, m[1])],
  [/^\/block\/([^/]+)$/, (t, m) => pageBlock(t, m[1])],
  [/^\/tx\/([^/]+)$/, (t, m) => pageTx(t, m[1])],
  [/^\/validators$/, (t) => pageValidators(t), true],
  [/^\/account\/([^/]+)$/, (t, m) => pageAccount(t, m[1])],
  [/^\/asset\/([^/]+)$/, (t, m) => pageAsset(t, m[1])],
  [/^\/investor\/([^/]+)$/, (t, m) => pageInvestor(t, m[1])],
  [/^\/vehicle\/([^/]+)$/, (t, m) => pageVehicle(t, m[1])],
  [/^\/verify$/, () => pageVerify()],
];

async function route() {
  const token = ++routeToken;
  const path = decodeURIComponent((location.hash || "#/").slice(1));
  for (const [re, page, live] of routes) {
    const m = path.match(re);
    if (!m) continue;
    try {
      await page(token, m);
      document.body.dataset.page = path.split("/")[1] || "home";
      document.body.dataset.loaded = String(token);
      if (live) view.dataset.live = "1";
    } catch (e) {
      if (token !== routeToken) return;
      if (e && e.status !== undefined) showError(e.message, e.status);
      else showError(String(e), 0);
      document.body.dataset.page = path.split("/")[1] || "home";
      document.body.dataset.loaded = String(token);
    }
    return;
  }
  pageNotFound(path);
  document.body.dataset.page = "not-found";
  document.body.dataset.loaded = String(token);
}

// Every second: the tip for the header, and the live pages (chain, validators) redrawn. Not on
// the verify page, which must show that it checks a bundle without asking the node anything.
async function poll() {
  const onVerify = decodeURIComponent((location.hash || "#/").slice(1)) === "/verify";
  if (onVerify) {
    const badge = document.getElementById("tip-badge");
    badge.textContent = "offline check";
    badge.dataset.height = "";
    pollTimer = setTimeout(poll, 1000);
    return;
  }
  try {
    const tip = await get("tip");
    const badge = document.getElementById("tip-badge");
    if (badge.dataset.height !== String(tip.height)) {
      badge.dataset.height = String(tip.height);
      badge.textContent = "height " + tip.height;
      const path = decodeURIComponent((location.hash || "#/").slice(1));
      if (path === "/" || path === "" || path === "/validators") route();
    }
  } catch (e) {
    document.getElementById("tip-badge").textContent = "node unreachable";
  }
  pollTimer = setTimeout(poll, 1000);
}

document.getElementById("search").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const q = document.getElementById("search-q").value.trim();
  if (!q) return;
  try {
    const r = await get("search?q=" + encodeURIComponent(q));
    location.hash = "#/" + r.kind + "/" + encodeURIComponent(r.id);
  } catch (e) {
    showError(e.message, e.status);
  }
});

window.addEventListener("hashchange", route);
route();
poll();
