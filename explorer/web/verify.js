// The explorer's #/verify page: a proof bundle and a genesis file read from the user's disk with
// FileReader and checked in the browser by bundle_check.js, exactly as `sharechain verify-bundle
// FILE --genesis GENESIS_FILE` checks them (docs/proofs.md). Nothing is fetched while it checks;
// app.js stops polling the node's tip on this page. Uses app.js's helpers (esc, kv, table, ...).
"use strict";

const verifyInputs = { bundle: null, genesis: null };   // {name, bytes} of each file given
let verifyRun = 0;

// A file dropped beside the drop zones would make the browser open it, leaving the page.
for (const type of ["dragover", "drop"]) {
  window.addEventListener(type, (ev) => { if (document.getElementById("verify-result")) ev.preventDefault(); });
}

function pageVerify() {
  view.innerHTML = `<h1>Verify a proof bundle</h1>
    <p class="muted">Checks a proof bundle (from <code>sharechain tx HASH --bundle</code>, <code>vehicle report VIN --bundle</code>,
      <code>revenue statement ASSET --period P --bundle</code>, <code>state KEY --bundle</code> or <code>account ADDRESS --bundle</code>) in this browser, exactly as <code>sharechain verify-bundle FILE --genesis GENESIS_FILE</code> does:
      against the genesis file you give, trusting nothing else. Nothing is fetched from the node or sent anywhere while it checks.</p>
    <div class="drops">
      ${dropZone("bundle", "Proof bundle", ".bundle,.json,application/json")}
      ${dropZone("genesis", "Genesis file (genesis.json of the chain)", ".json,application/json")}
    </div>
    <div id="verify-result" data-outcome=""><p class="muted">Give both files to check the bundle.</p></div>`;
  for (const which of ["bundle", "genesis"]) {
    const zone = document.getElementById("drop-" + which);
    const input = document.getElementById("file-" + which);
    input.addEventListener("change", () => { if (input.files.length) readInput(which, input.files[0]); });
    zone.addEventListener("dragover", (ev) => { ev.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (ev) => {
      ev.preventDefault();
      zone.classList.remove("over");
      if (ev.dataTransfer && ev.dataTransfer.files.length) readInput(which, ev.dataTransfer.files[0]);
    });
    showInput(which);
  }
  if (verifyInputs.bundle && verifyInputs.genesis) runVerify();
}

function dropZone(which, label, accept) {
  return `<label class="drop" id="drop-${which}"><span class="label">${esc(label)}</span>
    <span class="file" id="name-${which}">drop the file here, or choose it</span>
    <input type="file" id="file-${which}" accept="${esc(accept)}"></label>`;
}
function showInput(which) {
  const f = verifyInputs[which];
  const el = document.getElementById("name-" + which);
  if (el && f) el.innerHTML = `<span class="mono">${esc(f.name)}</span> <span class="muted">(${esc(f.bytes.length)} bytes)</span>`;
}
function readInput(which, file) {
  const reader = new FileReader();
  reader.onload = () => {
    verifyInputs[which] = { name: file.name, bytes: new Uint8Array(reader.result) };
    showInput(which);
    if (verifyInputs.bundle && verifyInputs.genesis) runVerify();
  };
  reader.onerror = () => {
    verifyInputs[which] = null;
    showVerdict({ outcome: "unreadable", reason: which + ": the file cannot be read (" + (reader.error && reader.error.message) + ")" });
  };
  reader.readAsArrayBuffer(file);
}

async function runVerify() {
  const run = ++verifyRun;
  const out = document.getElementById("verify-result");
  if (!out) return;
  out.dataset.outcome = "";
  out.innerHTML = `<p class="muted" id="verify-progress">Checking…</p>`;
  const inputs = { bundle: verifyInputs.bundle, genesis: verifyInputs.genesis };
  const started = performance.now();
  let result;
  try {
    result = await verifyBundleBytes(inputs.bundle.bytes, inputs.genesis.bytes, async (i, n) => {
      const p = document.getElementById("verify-progress");
      if (p) p.textContent = `Checking proof ${i + 1} of ${n}…`;
      await new Promise((r) => setTimeout(r, 0));   // let the page draw between proofs
    });
  } catch (e) {
    result = { outcome: "unreadable", reason: "the page could not check this bundle: " + (e && e.message ? e.message : String(e)) };
  }
  if (run !== verifyRun) return;
  result.ms = Math.round(performance.now() - started);
  result.files = inputs.bundle.name + "|" + inputs.genesis.name;
  showVerdict(result);
}

function showVerdict(r) {
  const out = document.getElementById("verify-result");
  if (!out) return;
  out.dataset.outcome = r.outcome;
  out.dataset.files = r.files || "";
  const headline = r.outcome === "proven"
    ? `<p class="verdict"><span class="ok" data-field="outcome">proven</span> · ${esc(r.kind)} bundle, ${proofCount(r)} checked in ${esc(r.ms)} ms</p>`
    : `<p class="verdict"><span class="bad" data-field="outcome">${r.outcome === "failed" ? "not proven" : "unreadable"}</span></p>
       <div class="error" data-field="reason">${esc(r.reason)}</div>
       <p class="muted">${r.outcome === "failed" ? "The first check that failed is named above; nothing in this bundle is proven." : "The file is not a bundle (or not a genesis file) this page can read."}</p>`;
  let body = "";
  if (r.outcome === "proven") body = factsSection(r) + checksSection(r);
  out.innerHTML = headline + body;
  document.body.dataset.verified = String(verifyRun);
}

// "3 proofs", "1 state proof", "2 proofs and 1 state proof".
function proofCount(r) {
  const n = r.proven.length, m = r.states.length;
  const parts = [];
  if (n || !m) parts.push(`${esc(n)} ${n === 1 ? "proof" : "proofs"}`);
  if (m) parts.push(`${esc(m)} state ${m === 1 ? "proof" : "proofs"}`);
  return parts.join(" and ");
}
// A state key as text where it is printable ASCII, other bytes as \xNN; an account's entry
// (ledger/acct/ and its 20 address bytes, as `sharechain account ADDRESS --bundle` proves) with
// its address.
function keyText(hex) {
  const account = bytesToHex(scText.encode("ledger/acct/"));
  if (hex.length === account.length + 40 && hex.startsWith(account)) {
    return "ledger/acct/ + the address " + formatAddress(bundleHex(hex.slice(account.length)));
  }
  let out = "";
  for (let i = 0; i < hex.length; i += 2) {
    const c = parseInt(hex.substr(i, 2), 16);
    out += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : "\\x" + hex.substr(i, 2);
  }
  return out;
}

function factsSection(r) {
  const f = r.facts;
  let html = "";
  if (r.kind === "transaction") {
    const t = f.transaction, rc = f.receipt, call = t.call || {};
    html += `<h2>Proven transaction</h2>` + kv([
      ["hash", `<span class="mono" data-field="tx_hash">${esc(f.tx_hash)}</span>`],
      ["result", rc.ok ? `<span class="ok" data-field="result">ok</span>` : `<span class="bad" data-field="result">${esc(rc.status)}</span> ${esc(rc.error)}`],
      ["block", `<span data-field="height">${esc(f.height)}</span> (index ${esc(f.index)}), hash <span class="mono">${esc(f.block_hash)}</span>`],
      ["time", esc(time(Number(f.timestamp_ms)))],
      ["sender", `<span class="mono" data-field="sender">${esc(t.sender)}</span> (its key signed the transaction)`],
      ["nonce", esc(t.nonce)], ["call", `<span data-field="call">${esc(call.contract + " " + call.action)}</span>`]]);
    html += `<h2>Arguments</h2><pre data-field="args">${esc(factsText(call.args))}</pre>`;
    html += `<h2>Events</h2>` + eventsTable(rc.events);
    if (rc.created.length) html += `<h2>Created</h2>` + table(["kind", "id"], rc.created.map((c) => [esc(c.kind), `<span class="mono">${esc(c.id)}</span>`]));
  } else if (r.kind === "vehicle-report") {
    html += `<h2>Vehicle <span class="mono" data-field="vin">${esc(f.vin)}</span>: <span data-field="record_count">${esc(f.records.length)}</span> proven ${f.records.length === 1 ? "record" : "records"}</h2>`;
    html += table(["record", "kind", "status", "submitter", "organisation", "occurred", "odometer #", "endorsements", "decided"], f.records.map((x) => [
      `<span class="mono">${esc(short(x.record))}</span>`, esc(x.kind), `<span data-field="record-status">${esc(x.status)}</span>`,
      `<span class="mono">${esc(x.submitter)}</span>`, esc(x.organisation), esc(time(Number(x.occurred_at_ms))), esc(x.odometer_km),
      x.endorsements.map((e) => `${esc(e.verdict)} · ${esc(e.organisation)} <span class="mono">${esc(short(e.attester, 14))}</span> (height ${esc(e.height)})`).join("<br>") || "-",
      x.decided_height !== undefined ? `height ${esc(x.decided_height)} (${esc(x.true)} true, ${esc(x.false)} false, threshold ${esc(x.threshold)})` : "-"]));
    const vs = f.vehicle_state;
    if (vs) {
      // docs/proofs.md, "State proofs": the vehicle's counters proven at a height, and every
      // record submitted up to it listed above.
      html += `<h2>Vehicle state at height <span data-field="state_height">${esc(vs.height)}</span></h2>
        <div class="cards">${card("records", esc(vs.records), "state_records")}${card("attested", esc(vs.attested), "state_attested")}${card("rejected", esc(vs.rejected), "state_rejected")}
        ${card("in the state", esc(vs.present), "state_present")}</div>
        <p data-field="completeness">${vs.present
          ? `The chain held ${esc(vs.records)} ${vs.records === 1n ? "record" : "records"} of this vehicle after block ${esc(vs.height)}, and the report lists every one of them: it is complete as of that height.`
          : `The chain held no entry for this vehicle after block ${esc(vs.height)}: no record of it had been submitted by then.`}
        Records submitted after that height may be listed too, but one left out of the file would not be detected.</p>`;
    }
  } else if (r.kind === "state") {
    html += `<h2>Proven state entry</h2>` + kv([
      ["key", `<span class="mono" data-field="key">${esc(f.key)}</span><br><span class="mono muted">${esc(keyText(f.key))}</span>`],
      ["present", `<span class="${f.present ? "ok" : "bad"}" data-field="present">${esc(f.present)}</span> ${f.present
        ? "— the state after the block holds this key"
        : "— the state after the block does not hold this key (the proof shows its place in the tree is empty or another key's)"}`],
      ["value", f.present
        ? `<span class="mono" data-field="value">${esc(f.value)}</span> <span class="muted">(${esc(f.value.length / 2)} bytes)</span>`
        : `<span class="muted">none</span>`],
      ["height", `the state after block <span data-field="height">${esc(f.height)}</span>`]]);
  } else if (r.kind === "revenue-statement") {
    html += `<h2>Revenue of asset <span class="mono" data-field="asset">${esc(f.asset)}</span> in ${esc(f.period)}</h2>
      <div class="cards">${card("income (credits)", amount(f.income, "income"))}${card("payments", `<span data-field="payment_count">${esc(f.payments.length)}</span>`)}
      ${card("agreements", esc(f.agreements.length))}</div>`;
    html += `<h2>By partner</h2>` + table(["partner", "amount #"], f.by_party.map((p) => [`<span class="mono">${esc(p.party)}</span>`, amount(p.amount)]));
    html += `<h2>Payments</h2>` + table(["height", "time", "agreement", "amount #", "parts", "parts sum #"], f.payments.map((p) => [esc(p.height), esc(time(Number(p.timestamp_ms))),
      `<span class="mono">${esc(short(p.agreement))}</span>`, amount(p.amount),
      p.parts.map((x) => `<span class="mono">${esc(short(x.party, 14))}</span> ${amount(x.amount)} (${esc(x.share_bps)} bps)`).join("<br>"), amount(p.parts_sum)]));
    html += `<h2>Agreements</h2>` + table(["agreement", "proposer", "height #"], f.agreements.map((a) => [`<span class="mono">${esc(short(a.agreement))}</span>`,
      `<span class="mono">${esc(a.proposer)}</span>`, esc(a.proposed_height)]));
  }
  html += `<details><summary>All proven facts (JSON)</summary><pre data-field="facts">${esc(factsText(f))}</pre></details>`;
  return html;
}

function checksSection(r) {
  const t = r.trust, n = t.validators.length;
  const states = r.states.map((p, i) => [esc(i + 1), `<span class="mono">${esc(short(bytesToHex(p.key), 24))}</span>`, esc(p.height),
    esc(p.present), esc(p.depth), esc(p.ends_at), esc(p.anchor_height), esc(p.anchor_votes + " of " + p.anchor_set_size)]);
  // Each block is signed by the set of its own epoch, whose size need not be the genesis set's.
  const rows = r.proven.map((p, i) => [esc(i + 1), esc(p.height), esc(p.index), `<span class="mono">${esc(short(p.tx_hash))}</span>`,
    esc(p.block_votes + " of " + p.block_set_size), esc(p.tx_path + " + " + p.receipt_path), esc(p.links), esc(p.anchor_height),
    esc(p.anchor_votes + " of " + p.anchor_set_size)]);
  const later = r.sets.slice(1);
  const chain = later.map((s) => `<li data-field="validator-set">the validator set of epoch ${esc(s.epoch)} (${esc(s.validators.length)} validators, a quorum is
      ${esc(quorumSize(s.validators.length))}): named in the header of block ${esc(s.from_height)}, the last of epoch ${esc(s.epoch - 1n)}, which a quorum of that epoch's set certified</li>`).join("");
  // docs/proofs.md: each set is trusted only while in force, and only if its keys are not used
  // after it has left.
  const collusion = later.length
    ? "more than f of the n validators of one of these sets (n ≥ 3f+1) collude while it is in force, or sign another history after it has left"
    : "more than " + maxFaulty(n) + " of the " + n + " validators collude";
  return `<h2>What was checked</h2>
    <ul class="checks">
      <li>the genesis file: chain <span class="mono">${esc(t.chain_id)}</span>, SHA-256 <span class="mono">${esc(bytesToHex(t.genesis_hash))}</span>, ${esc(n)} ${n === 1 ? "validator" : "validators"} (a quorum is ${esc(quorumSize(n))}), the same as the bundle names</li>
      ${chain}
      <li>each ${r.proven.length ? "block and " : ""}anchor header: its hash, chain and height, the epoch it names and that epoch's validator set, and a commit certificate of at least a quorum of distinct validators of that set, every BIP340 signature valid</li>
      ${r.proven.length ? `<li>each transaction: its Merkle path to the block's signed_tx_root, its sender's key and signature, its chain</li>
      <li>each receipt: its Merkle path, its transaction and position, and the history chain through the links up to the anchor's certified history_root</li>` : ""}
      ${states.length ? `<li>each state proof: its anchor, whose certified state height is the proof's, and the key's path in the sparse Merkle tree (to its value's leaf, or to the empty subtree or other key's leaf that shows it absent) hashing, with the LtHash root, to the anchor's certified state_root</li>` : ""}
      <li>${r.proven.length ? "the proofs in chain order, " : ""}the subject, and every fact recomputed from the proven ${r.proven.length ? "transactions and receipts" : ""}${r.proven.length && states.length ? " and " : ""}${states.length ? "state entries" : ""} and compared with the bundle's</li>
    </ul>
    ${r.proven.length || !states.length ? table(["proof #", "height #", "index #", "transaction", "block signatures", "path entries (tx + receipt)", "links #", "anchor #", "anchor signatures"], rows) : ""}
    ${states.length && r.proven.length ? `<p class="muted">The state ${states.length === 1 ? "proof" : "proofs"}:</p>` : ""}
    ${states.length ? table(["state proof #", "key", "height #", "present", "path entries #", "path ends at", "anchor #", "anchor signatures"], states) : ""}
    <p class="muted" data-field="not-checked">Not checked by this page: nothing the command checks is left out. What no bundle proves (docs/proofs.md): that a real-world fact is
      true, ${completeness(r)}, or anything if ${collusion}.</p>`;
}
// A vehicle report with a state proof is complete up to its height; nothing else is.
function completeness(r) {
  const vs = r.kind === "vehicle-report" && r.facts.vehicle_state;
  if (vs) return `that the report is complete after height ${esc(vs.height)} (a record submitted later and left out of the file is not detected)`;
  if (r.kind === "state") return `that the entry is still the same after height ${esc(r.facts.height)}`;
  return "that the bundle is complete (a record or payment left out of the file is not detected)";
}

