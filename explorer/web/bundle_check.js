// The proof bundle checker behind the explorer's #/verify page (verify.js): every check of
// `sharechain verify-bundle` (docs/proofs.md) in plain JavaScript, touching no DOM and fetching
// nothing. Written from docs/proofs.md ("Checking a bundle without ShareChain's code"), FIPS
// 180-4 (SHA-256), BIP340 (Schnorr over secp256k1), BIP350 (bech32m addresses) and the protobuf
// wire format; its reasons are worded as the Python SDK's verifier (sdk/python/sharechain/
// proofs.py) words them, so that the two can be compared verbatim.
//
// Rendering a transaction's call as facts needs the protobuf schema: proto_schema.js, generated
// at build time, holds the FileDescriptorSet of proto/sharechain/types.proto (and its imports)
// as hex, which this file decodes with the same wire reader.
"use strict";

// ---- bytes ---------------------------------------------------------------------------------

const scText = new TextEncoder();
const scUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function bytesToHex(b) {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return s;
}
// Lower-case hex only (docs/proofs.md: one spelling per byte string); null otherwise.
function bundleHex(v) {
  if (typeof v !== "string" || v.length % 2 || !/^[0-9a-f]*$/.test(v)) return null;
  const out = new Uint8Array(v.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(v.substr(2 * i, 2), 16);
  return out;
}
function concatBytes(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
function equalBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function be64(v) {
  const out = new Uint8Array(8);
  let x = BigInt.asUintN(64, BigInt(v));
  for (let i = 7; i >= 0; i--) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}
function be32(v) {
  return new Uint8Array([(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
}
function bytesToBig(b) {
  let x = 0n;
  for (let i = 0; i < b.length; i++) x = (x << 8n) | BigInt(b[i]);
  return x;
}
function bigTo32(x) {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

// ---- SHA-256 (FIPS 180-4) --------------------------------------------------------------------
// Synchronous and without crypto.subtle, which a page served over plain HTTP from a host other
// than localhost does not have.

const SHA256_K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);

function sha256(data) {
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  // The message, a 1 bit, zeros up to 56 mod 64, and the bit length as 64 bits big-endian.
  const blocks = Math.ceil((data.length + 9) / 64);
  const m = new Uint8Array(blocks * 64);
  m.set(data);
  m[data.length] = 0x80;
  const bits = data.length * 8;
  const dv = new DataView(m.buffer);
  dv.setUint32(m.length - 8, Math.floor(bits / 0x100000000));
  dv.setUint32(m.length - 4, bits >>> 0);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let b = 0; b < blocks; b++) {
    for (let t = 0; t < 16; t++) w[t] = dv.getUint32(b * 64 + t * 4);
    for (let t = 16; t < 64; t++) {
      const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
      const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) >>> 0;
    }
    let [a, bb, c, d, e, f, g, hh] = h;
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[t] + w[t]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c))) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = bb; bb = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += bb; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) ov.setUint32(i * 4, h[i]);
  return out;
}

function taggedHash(tag, data) {
  const t = sha256(scText.encode(tag));
  return sha256(concatBytes(t, t, data));
}

// ---- BIP340 Schnorr verification over secp256k1 ---------------------------------------------

const SECP_P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP_G = [0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
  0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n, 1n];

function modP(a) {
  const r = a % SECP_P;
  return r < 0n ? r + SECP_P : r;
}
function powMod(b, e, m) {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
// Jacobian coordinates [X, Y, Z] (x = X/Z², y = Y/Z³); null is the point at infinity.
function pointDouble(p) {
  if (p === null || p[1] === 0n) return null;
  const [x, y, z] = p;
  const a = modP(x * x), b = modP(y * y), c = modP(b * b);
  const d = modP(2n * (modP((x + b) * (x + b)) - a - c));
  const e = modP(3n * a), f = modP(e * e);
  const x3 = modP(f - 2n * d);
  return [x3, modP(e * (d - x3) - 8n * c), modP(2n * y * z)];
}
function pointAdd(p, q) {
  if (p === null) return q;
  if (q === null) return p;
  const z1z1 = modP(p[2] * p[2]), z2z2 = modP(q[2] * q[2]);
  const u1 = modP(p[0] * z2z2), u2 = modP(q[0] * z1z1);
  const s1 = modP(p[1] * q[2] * z2z2), s2 = modP(q[1] * p[2] * z1z1);
  if (u1 === u2) return s1 === s2 ? pointDouble(p) : null;
  const h = modP(u2 - u1), r = modP(s2 - s1);
  const hh = modP(h * h), hhh = modP(hh * h), v = modP(u1 * hh);
  const x3 = modP(r * r - hhh - 2n * v);
  return [x3, modP(r * (v - x3) - s1 * hhh), modP(h * p[2] * q[2])];
}
// a·P + b·Q with one pass over the bits (Shamir's trick).
function mulAdd(a, p, b, q) {
  const pq = pointAdd(p, q);
  let r = null;
  for (let i = 255; i >= 0; i--) {
    r = pointDouble(r);
    const ba = (a >> BigInt(i)) & 1n, bb = (b >> BigInt(i)) & 1n;
    if (ba && bb) r = pointAdd(r, pq);
    else if (ba) r = pointAdd(r, p);
    else if (bb) r = pointAdd(r, q);
  }
  return r;
}
// The point with x-coordinate x and an even y (BIP340 lift_x), or null.
function liftX(x) {
  if (x >= SECP_P) return null;
  const c = modP(x * x * x + 7n);
  const y = powMod(c, (SECP_P + 1n) / 4n, SECP_P);
  if (modP(y * y) !== c) return null;
  return [x, (y & 1n) === 0n ? y : SECP_P - y, 1n];
}
// BIP340 verification of a 64-byte signature over a 32-byte message by a 32-byte x-only key.
function schnorrVerify(pubkey, msg, sig) {
  if (pubkey.length !== 32 || msg.length !== 32 || sig.length !== 64) return false;
  const p = liftX(bytesToBig(pubkey));
  if (p === null) return false;
  const r = bytesToBig(sig.subarray(0, 32)), s = bytesToBig(sig.subarray(32));
  if (r >= SECP_P || s >= SECP_N) return false;
  const e = bytesToBig(taggedHash("BIP0340/challenge", concatBytes(sig.subarray(0, 32), pubkey, msg))) % SECP_N;
  const R = mulAdd(s, SECP_G, (SECP_N - e) % SECP_N, p);
  if (R === null) return false;
  const zinv = powMod(R[2], SECP_P - 2n, SECP_P);
  const zinv2 = modP(zinv * zinv);
  const x = modP(R[0] * zinv2), y = modP(R[1] * zinv2 * zinv);
  return (y & 1n) === 0n && x === r;
}

// ---- addresses (docs/crypto.md: bech32m, human part "sc") -----------------------------------

const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
function bech32Polymod(values) {
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk = (chk ^ gen[i]) >>> 0;
  }
  return chk;
}
function formatAddress(raw) {
  let n = bytesToBig(raw);
  const data = [];
  for (let i = 0; i < 32; i++) { data.unshift(Number(n & 31n)); n >>= 5n; }
  const hrp = [3, 3, 0, 19, 3];   // "sc": the high bits of each letter, 0, the low bits
  const mod = (bech32Polymod(hrp.concat(data, [0, 0, 0, 0, 0, 0])) ^ 0x2bc830a3) >>> 0;
  const check = [];
  for (let i = 0; i < 6; i++) check.push((mod >>> (5 * (5 - i))) & 31);
  return "sc1" + data.concat(check).map((g) => BECH32_CHARSET[g]).join("");
}
// A 20-byte value is an address, any other byte string hex (reports::render_bytes).
function renderBytes(raw) {
  return raw.length === 20 ? formatAddress(raw) : bytesToHex(raw);
}

// ---- JSON with exact numbers ----------------------------------------------------------------
// JSON.parse cannot tell 5.0 from 5 nor hold a uint64 exactly; a fact must be compared as the
// file states it. Integers become BigInt, other numbers JFloat, objects Map (first place, last
// value for a repeated key, as Python reads them).

class JFloat {
  constructor(v) { this.v = v; }
}
class JsonError extends Error {}

function parseJson(text) {
  let i = 0;
  const ws = () => { while (i < text.length && " \t\n\r".includes(text[i])) i++; };
  const fail = (why) => { throw new JsonError(why + " at offset " + i); };
  function value() {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const m = new Map();
      ws();
      if (text[i] === "}") { i++; return m; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const k = string();
        ws();
        if (text[i++] !== ":") fail("expected ':'");
        m.set(k, value());
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return m; }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const a = [];
      ws();
      if (text[i] === "]") { i++; return a; }
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return a; }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || !m[0]) fail("unexpected character");
    i += m[0].length;
    return m[2] || m[3] ? new JFloat(Number(m[0])) : BigInt(m[0]);
  }
  function string() {
    i++;
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text[i++];
      if (c === '"') return out;
      if (c < " ") fail("control character in a string");
      if (c !== "\\") { out += c; continue; }
      const e = text[i++];
      const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[e];
      if (simple !== undefined) { out += simple; continue; }
      if (e !== "u" || !/^[0-9a-fA-F]{4}$/.test(text.substr(i, 4))) fail("bad escape");
      out += String.fromCharCode(parseInt(text.substr(i, 4), 16));
      i += 4;
    }
  }
  const v = value();
  ws();
  if (i !== text.length) fail("trailing text");
  return v;
}

function isDict(v) {
  return v instanceof Map || (v !== null && typeof v === "object" && !Array.isArray(v) &&
    !(v instanceof JFloat) && !(v instanceof Uint8Array));
}
function dictEntries(v) { return v instanceof Map ? [...v.entries()] : Object.entries(v); }
function dictHas(v, k) { return v instanceof Map ? v.has(k) : Object.prototype.hasOwnProperty.call(v, k); }
function dictGet(v, k) { return v instanceof Map ? v.get(k) : v[k]; }
// A member of a parsed object, undefined when absent or not an object (Python's dict.get).
function member(v, k) { return isDict(v) && dictHas(v, k) ? dictGet(v, k) : undefined; }

function jsonKind(v) {
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "int";
  if (v instanceof JFloat) return "float";
  if (typeof v === "string") return "str";
  if (Array.isArray(v)) return "list";
  if (isDict(v)) return "dict";
  return "null";
}

// Python's float repr: the shortest digits, exponent form from 1e16 up and below 1e-4.
function pyFloat(x) {
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : x < 0 ? "-Infinity" : "NaN";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, exp] = x.toExponential().split("e");
  const e = Number(exp);
  if (e >= 16 || e < -4) {
    return mant + "e" + (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
  }
  const s = String(x);
  return s.includes(".") ? s : s + ".0";
}
// json.dumps: compact (separators "," ":", text as is) or default (", " ": ", non-ASCII escaped).
function pyDumps(v, compact) {
  const str = (s) => {
    const j = JSON.stringify(s);
    return compact ? j : j.replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  };
  const [comma, colon] = compact ? [",", ":"] : [", ", ": "];
  switch (jsonKind(v)) {
    case "bool": return v ? "true" : "false";
    case "int": return v.toString();
    case "float": return pyFloat(v.v);
    case "str": return str(v);
    case "list": return "[" + v.map((x) => pyDumps(x, compact)).join(comma) + "]";
    case "dict": return "{" + dictEntries(v).map(([k, x]) => str(k) + colon + pyDumps(x, compact)).join(comma) + "}";
    default: return "null";
  }
}
// str() of a value in a message: text as is, None, True, numbers.
function pyStr(v) {
  if (v === undefined || v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return v;
  return pyDumps(v, false);
}
function quoted(v) { return typeof v === "string" ? "'" + v + "'" : pyDumps(v === undefined ? null : v, false); }

// The first path at which two JSON values differ ("[0].status"), or null when equal. Keys in any
// order; a boolean never equals a number, nor 5.0 the integer 5.
function firstDifference(stated, derived, at) {
  at = at || "";
  if (jsonKind(stated) !== jsonKind(derived)) return at;
  if (isDict(stated)) {
    for (const [k, v] of dictEntries(stated)) {
      if (!dictHas(derived, k)) return at + "." + k;
      const d = firstDifference(v, dictGet(derived, k), at + "." + k);
      if (d !== null) return d;
    }
    for (const [k] of dictEntries(derived)) if (!dictHas(stated, k)) return at + "." + k;
    return null;
  }
  if (Array.isArray(stated)) {
    if (stated.length !== derived.length) return at;
    for (let i = 0; i < stated.length; i++) {
      const d = firstDifference(stated[i], derived[i], at + "[" + i + "]");
      if (d !== null) return d;
    }
    return null;
  }
  if (stated instanceof JFloat) return stated.v === derived.v ? null : at;
  return stated === derived ? null : at;
}

// The JSON of a value as the wallet prints it: BigInt as numbers, Maps as objects.
function factsText(v) {
  return JSON.stringify(toPlain(v), null, 2).replace(/"@@int:(-?\d+)"/g, "$1");
}
function toPlain(v) {
  if (typeof v === "bigint") return "@@int:" + v.toString();
  if (v instanceof JFloat) return v.v;
  if (Array.isArray(v)) return v.map(toPlain);
  if (isDict(v)) {
    const o = {};
    for (const [k, x] of dictEntries(v)) o[k] = toPlain(x);
    return o;
  }
  return v;
}

// ---- protobuf ------------------------------------------------------------------------------
// The wire format read as the C++ library reads it: the last value of a singular field wins,
// occurrences of a sub-message merge, repeated numbers come packed or not, a known field with
// another wire type is kept as unknown, unknown fields are skipped, and a proto3 string that is
// not UTF-8 fails the parse.

class DecodeError extends Error {}
const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = (1n << 32n) - 1n;

// [{num, wt, val}] of one message's bytes: BigInt for varints, Uint8Array otherwise.
function wireFields(buf) {
  const out = [];
  let i = 0;
  const varint = () => {
    let x = 0n, shift = 0n;
    for (let k = 0; k < 10; k++) {
      if (i >= buf.length) throw new DecodeError("truncated varint");
      const b = buf[i++];
      x |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asUintN(64, x);
      shift += 7n;
    }
    throw new DecodeError("varint longer than 10 bytes");
  };
  const take = (n) => {
    if (n > buf.length - i) throw new DecodeError("truncated field");
    const v = buf.subarray(i, i + n);
    i += n;
    return v;
  };
  const skipGroup = (num, depth) => {
    if (depth > 100) throw new DecodeError("groups nested too deep");
    for (;;) {
      if (i >= buf.length) throw new DecodeError("unterminated group");
      const tag = varint();
      const n = Number(tag >> 3n), wt = Number(tag & 7n);
      if (wt === 4) {
        if (n !== num) throw new DecodeError("mismatched end of group");
        return;
      }
      skipValue(n, wt, depth + 1);
    }
  };
  const skipValue = (n, wt, depth) => {
    if (n === 0 || n > 0x1fffffff) throw new DecodeError("bad field number");
    if (wt === 0) return varint();
    if (wt === 1) return take(8);
    if (wt === 5) return take(4);
    if (wt === 2) {
      const len = varint();
      if (len > 0x7fffffffn) throw new DecodeError("length too large");
      return take(Number(len));
    }
    if (wt === 3) return skipGroup(n, depth);
    throw new DecodeError("bad wire type");
  };
  while (i < buf.length) {
    const tag = varint();
    if (tag > U32_MAX) throw new DecodeError("bad tag");
    const num = Number(tag >> 3n), wt = Number(tag & 7n);
    if (wt === 4) throw new DecodeError("end of group outside a group");
    const val = skipValue(num, wt, 0);
    if (wt !== 3) out.push({ num, wt, val });
  }
  return out;
}

// FileDescriptorProto field numbers (google/protobuf/descriptor.proto).
const T_DOUBLE = 1, T_FLOAT = 2, T_INT64 = 3, T_UINT64 = 4, T_INT32 = 5, T_FIXED64 = 6, T_FIXED32 = 7,
  T_BOOL = 8, T_STRING = 9, T_GROUP = 10, T_MESSAGE = 11, T_BYTES = 12, T_UINT32 = 13, T_ENUM = 14,
  T_SFIXED32 = 15, T_SFIXED64 = 16, T_SINT32 = 17, T_SINT64 = 18;
const LABEL_REPEATED = 3;

// {messages: Map(full name -> descriptor), enums: Map(full name -> {name, byNumber})}.
let protoSchema = null;
function loadSchema() {
  if (protoSchema) return protoSchema;
  if (typeof SC_PROTO_DESCRIPTORS !== "string") {
    throw new Error("the page lacks the protobuf schema (proto_schema.js)");
  }
  const str = (b) => scUtf8.decode(b);
  const messages = new Map(), enums = new Map();
  const readEnum = (raw, prefix) => {
    const e = { name: "", byNumber: new Map() };
    const values = [];
    for (const f of wireFields(raw)) {
      if (f.num === 1) e.name = str(f.val);
      if (f.num === 2) values.push(f.val);
    }
    for (const v of values) {
      let name = "", number = 0n;
      for (const f of wireFields(v)) {
        if (f.num === 1) name = str(f.val);
        if (f.num === 2) number = BigInt.asIntN(32, f.val);
      }
      // The first name of a number, as FindValueByNumber answers with aliases.
      if (!e.byNumber.has(number)) e.byNumber.set(number, name);
    }
    enums.set(prefix + "." + e.name, e);
  };
  const readMessage = (raw, prefix, proto3) => {
    const m = { name: "", fullName: "", fields: [], byNumber: new Map(), oneofs: [], mapEntry: false, proto3 };
    const nested = [];
    for (const f of wireFields(raw)) {
      if (f.num === 1) m.name = str(f.val);
      else if (f.num === 2) {
        const fd = { name: "", number: 0, label: 1, type: 0, typeName: "", oneof: -1, jsonName: "", proto3Optional: false };
        for (const g of wireFields(f.val)) {
          if (g.num === 1) fd.name = str(g.val);
          else if (g.num === 3) fd.number = Number(BigInt.asIntN(32, g.val));
          else if (g.num === 4) fd.label = Number(g.val);
          else if (g.num === 5) fd.type = Number(g.val);
          else if (g.num === 6) fd.typeName = str(g.val);
          else if (g.num === 9) fd.oneof = Number(g.val);
          else if (g.num === 10) fd.jsonName = str(g.val);
          else if (g.num === 17) fd.proto3Optional = g.val !== 0n;
        }
        m.fields.push(fd);
      } else if (f.num === 3 || f.num === 4) nested.push(f);
      else if (f.num === 7) {
        for (const g of wireFields(f.val)) if (g.num === 7) m.mapEntry = g.val !== 0n;
      } else if (f.num === 8) {
        let name = "";
        for (const g of wireFields(f.val)) if (g.num === 1) name = str(g.val);
        m.oneofs.push({ name, fields: [] });
      }
    }
    m.fullName = prefix + "." + m.name;
    for (const fd of m.fields) {
      m.byNumber.set(fd.number, fd);
      if (fd.oneof >= 0) m.oneofs[fd.oneof].fields.push(fd);
    }
    // proto3 `optional` wraps its field in a oneof of its own: that oneof is no action.
    for (const o of m.oneofs) o.synthetic = o.fields.length === 1 && o.fields[0].proto3Optional;
    messages.set(m.fullName, m);
    for (const f of nested) (f.num === 3 ? readMessage : readEnum)(f.val, m.fullName, proto3);
  };
  const hex = bundleHex(SC_PROTO_DESCRIPTORS);
  for (const file of wireFields(hex)) {
    if (file.num !== 1) continue;
    let pkg = "", syntax = "proto2";
    const parts = wireFields(file.val);
    for (const f of parts) {
      if (f.num === 2) pkg = str(f.val);
      if (f.num === 12) syntax = str(f.val);
    }
    const prefix = pkg ? "." + pkg : "";
    for (const f of parts) {
      if (f.num === 4) readMessage(f.val, prefix, syntax === "proto3");
      if (f.num === 5) readEnum(f.val, prefix);
    }
  }
  protoSchema = { messages, enums };
  return protoSchema;
}
function messageType(fullName) {
  const m = loadSchema().messages.get(fullName);
  if (!m) throw new Error("the protobuf schema has no message " + fullName);
  return m;
}

// A decoded message: `values` by field name (set fields only), `cases` the member of each oneof.
class PbMessage {
  constructor(type) { this.type = type; this.values = new Map(); this.cases = new Map(); }
  has(name) { return this.values.has(name); }
  get(name) {
    if (this.values.has(name)) return this.values.get(name);
    const fd = this.type.fields.find((f) => f.name === name);
    if (!fd) throw new Error(this.type.fullName + " has no field " + name);
    return defaultValue(fd);
  }
  whichOneof(name) {
    const o = this.type.oneofs.findIndex((x) => x.name === name);
    return o >= 0 && this.cases.has(o) ? this.cases.get(o) : null;
  }
}
function defaultValue(fd) {
  if (fd.label === LABEL_REPEATED) return [];
  switch (fd.type) {
    case T_STRING: return "";
    case T_BYTES: return new Uint8Array(0);
    case T_BOOL: return false;
    case T_MESSAGE: return new PbMessage(messageType(fd.typeName));
    case T_DOUBLE: case T_FLOAT: return new JFloat(0);
    default: return 0n;
  }
}
function wireTypeOf(type) {
  switch (type) {
    case T_DOUBLE: case T_FIXED64: case T_SFIXED64: return 1;
    case T_FLOAT: case T_FIXED32: case T_SFIXED32: return 5;
    case T_STRING: case T_BYTES: case T_MESSAGE: return 2;
    case T_GROUP: return 3;
    default: return 0;
  }
}
function scalarFromWire(fd, wt, val, proto3) {
  const le = (b) => { let x = 0n; for (let k = b.length - 1; k >= 0; k--) x = (x << 8n) | BigInt(b[k]); return x; };
  const zigzag = (x) => (x >> 1n) ^ -(x & 1n);
  switch (fd.type) {
    case T_INT32: case T_ENUM: return BigInt.asIntN(32, val);
    case T_UINT32: return BigInt.asUintN(32, val);
    case T_SINT32: return zigzag(BigInt.asUintN(32, val));
    case T_INT64: return BigInt.asIntN(64, val);
    case T_UINT64: return val;
    case T_SINT64: return zigzag(val);
    case T_BOOL: return val !== 0n;
    case T_FIXED32: case T_FIXED64: return le(val);
    case T_SFIXED32: return BigInt.asIntN(32, le(val));
    case T_SFIXED64: return BigInt.asIntN(64, le(val));
    case T_FLOAT: return new JFloat(new DataView(val.buffer, val.byteOffset, 4).getFloat32(0, true));
    case T_DOUBLE: return new JFloat(new DataView(val.buffer, val.byteOffset, 8).getFloat64(0, true));
    case T_STRING:
      if (!proto3) return new TextDecoder().decode(val);
      try { return scUtf8.decode(val); } catch (e) { throw new DecodeError("string field is not UTF-8"); }
    case T_BYTES: return val.slice();
    default: throw new DecodeError("unsupported field type " + fd.type);
  }
}
// Splits a packed run of numbers into wire values.
function unpack(fd, bytes) {
  const wt = wireTypeOf(fd.type);
  if (wt === 1 || wt === 5) {
    const size = wt === 1 ? 8 : 4;
    if (bytes.length % size) throw new DecodeError("packed field of a bad length");
    const out = [];
    for (let k = 0; k < bytes.length; k += size) out.push(bytes.subarray(k, k + size));
    return out;
  }
  // A run of varints: read them as fields of number 1 by prefixing each with a tag.
  const out = [];
  let k = 0;
  while (k < bytes.length) {
    let x = 0n, shift = 0n, n = 0;
    for (;;) {
      if (k >= bytes.length || n === 10) throw new DecodeError("truncated packed varint");
      const b = bytes[k++];
      n++;
      x |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) break;
    }
    out.push(BigInt.asUintN(64, x));
  }
  return out;
}

// Decodes `bytes` as the message `fullName`; throws DecodeError when the C++ parser would fail.
function decodeMessage(fullName, bytes, depth) {
  depth = depth || 0;
  if (depth > 100) throw new DecodeError("messages nested too deep");
  const type = messageType(fullName);
  const m = new PbMessage(type);
  const chunks = new Map();   // singular sub-messages: every occurrence, merged at the end
  const setCase = (fd) => {
    if (fd.oneof < 0) return;
    const old = m.cases.get(fd.oneof);
    if (old && old !== fd.name) { m.values.delete(old); chunks.delete(old); }
    m.cases.set(fd.oneof, fd.name);
  };
  for (const f of wireFields(bytes)) {
    const fd = type.byNumber.get(f.num);
    if (!fd) continue;
    const want = wireTypeOf(fd.type);
    const repeated = fd.label === LABEL_REPEATED;
    const packed = repeated && want !== 2 && f.wt === 2;
    if (f.wt !== want && !packed) continue;   // kept as an unknown field by the C++ parser
    if (fd.type === T_MESSAGE) {
      const sub = decodeMessage(fd.typeName, f.val, depth + 1);   // each occurrence must parse
      if (repeated) {
        if (!m.values.has(fd.name)) m.values.set(fd.name, []);
        m.values.get(fd.name).push(sub);
      } else {
        setCase(fd);
        if (!chunks.has(fd.name)) chunks.set(fd.name, []);
        chunks.get(fd.name).push(f.val);
        m.values.set(fd.name, sub);
      }
    } else if (repeated) {
      if (!m.values.has(fd.name)) m.values.set(fd.name, []);
      const list = m.values.get(fd.name);
      for (const v of packed ? unpack(fd, f.val) : [f.val]) list.push(scalarFromWire(fd, want, v, type.proto3));
    } else {
      setCase(fd);
      m.values.set(fd.name, scalarFromWire(fd, f.wt, f.val, type.proto3));
    }
  }
  // Occurrences of one sub-message merge: the same as parsing their bytes end to end.
  for (const [name, list] of chunks) {
    if (list.length > 1) m.values.set(name, decodeMessage(type.fields.find((x) => x.name === name).typeName, concatBytes(...list), depth + 1));
  }
  // A proto3 scalar outside a oneof has no presence: its default is as good as unset.
  for (const fd of type.fields) {
    if (fd.label === LABEL_REPEATED || fd.type === T_MESSAGE || fd.oneof >= 0 || !type.proto3) continue;
    if (!m.values.has(fd.name)) m.values.set(fd.name, defaultValue(fd));
  }
  return m;
}
function tryDecode(fullName, bytes) {
  try { return decodeMessage(fullName, bytes); } catch (e) {
    if (e instanceof DecodeError) return null;
    throw e;
  }
}
function hasPresence(fd, type) {
  if (fd.label === LABEL_REPEATED) return false;
  return fd.type === T_MESSAGE || fd.oneof >= 0 || !type.proto3;
}

// ---- facts as the wallet renders them (reports/render.cpp) ----------------------------------

function enumName(fd, number) {
  const e = loadSchema().enums.get(fd.typeName);
  const short = fd.typeName.slice(fd.typeName.lastIndexOf(".") + 1);
  // A value the schema does not know: the name the C++ library makes up for it.
  return e && e.byNumber.has(number) ? e.byNumber.get(number) : "UNKNOWN_ENUM_VALUE_" + short + "_" + number;
}
function scalarJson(fd, v) {
  if (fd.type === T_MESSAGE) return protoToJson(v);
  if (fd.type === T_ENUM) return enumName(fd, v);
  if (fd.type === T_BYTES) return renderBytes(v);
  return v;
}
// Every singular scalar (defaults too), set sub-messages and oneof members only, repeated fields
// as arrays, maps as objects, enums by name, bytes by renderBytes.
function protoToJson(m) {
  const out = new Map();
  for (const fd of m.type.fields) {
    const v = m.get(fd.name);
    const sub = fd.type === T_MESSAGE ? messageType(fd.typeName) : null;
    if (sub && sub.mapEntry && fd.label === LABEL_REPEATED) {
      const obj = new Map();
      const vf = sub.fields.find((x) => x.name === "value");
      for (const entry of v) {
        const k = entry.get("key");
        obj.set(typeof k === "boolean" ? (k ? "true" : "false") : String(k), scalarJson(vf, entry.get("value")));
      }
      out.set(fd.name, obj);
    } else if (fd.label === LABEL_REPEATED) {
      out.set(fd.name, v.map((x) => scalarJson(fd, x)));
    } else if (hasPresence(fd, m.type)) {
      if (m.has(fd.name)) out.set(fd.name, scalarJson(fd, v));
    } else {
      out.set(fd.name, scalarJson(fd, v));
    }
  }
  return out;
}
function callJson(body) {
  const contract = body.whichOneof("call");
  if (contract === null) return { contract: "", action: "", args: new Map() };
  const call = body.get(contract);
  for (let k = 0; k < call.type.oneofs.length; k++) {
    if (call.type.oneofs[k].synthetic || !call.cases.has(k)) continue;
    const action = call.cases.get(k);
    const fd = call.type.fields.find((x) => x.name === action);
    return { contract, action, args: scalarJson(fd, call.get(action)) };
  }
  return { contract, action: "", args: protoToJson(call) };
}
function receiptStatusName(status) {
  const e = loadSchema().enums.get(".sharechain.ReceiptStatus");
  if (!e || !e.byNumber.has(status)) return status.toString();
  const n = e.byNumber.get(status);
  return (n.startsWith("RECEIPT_") ? n.slice(8) : n).toLowerCase();
}
function eventJson(e) {
  const attributes = new Map();
  for (const a of e.get("attributes")) attributes.set(a.get("key"), a.get("value"));
  return { contract: e.get("contract"), name: e.get("name"), attributes };
}
function receiptJson(r) {
  return {
    tx_hash: bytesToHex(r.get("tx_hash")), status: receiptStatusName(r.get("status")),
    ok: r.get("status") === 0n, error: r.get("error"), height: r.get("height"), index: r.get("index"),
    events: r.get("events").map(eventJson),
    created: r.get("created").map((c) => ({ kind: c.get("kind"), id: c.get("id_text") })),
    state_reads: r.get("state_reads"), state_writes: r.get("state_writes"),
  };
}
function signedTransactionJson(raw) {
  const signed = tryDecode(".sharechain.SignedTransaction", raw);
  if (signed === null) return { hash: "", error: "not a valid SignedTransaction" };
  const out = { hash: bytesToHex(sha256(signed.get("body"))) };
  const body = tryDecode(".sharechain.TransactionBody", signed.get("body"));
  if (body === null) { out.error = "body is not a valid TransactionBody"; return out; }
  return Object.assign(out, {
    sender: formatAddress(body.get("sender")), nonce: body.get("nonce"), chain_id: body.get("chain_id"),
    expires_at_height: body.get("expires_at_height"), call: callJson(body),
  });
}
function transactionFacts(p) {
  return { tx_hash: p.tx_hash, height: p.height, index: p.index, block_hash: p.block_hash,
    timestamp_ms: p.timestamp_ms, transaction: signedTransactionJson(p.transaction), receipt: receiptJson(p.receipt) };
}

// ---- checking one transaction proof (docs/proofs.md steps 2-6) --------------------------------

class ProofError extends Error {}
const MAX_TRANSACTION_BYTES = 64 * 1024;
const VOTE_COMMIT = 2;

const proofFail = (part, height, why) => new ProofError(part + " (height " + height + "): " + why);
const maxFaulty = (n) => Math.floor((n - 1) / 3);
const quorumSize = (n) => Math.floor((n + maxFaulty(n)) / 2) + 1;
const hash32 = (raw) => (raw.length === 32 ? raw : null);

function merkleRootFromPath(leaf, index, count, path) {
  if (index >= count) return null;
  let node = sha256(concatBytes(new Uint8Array([0]), leaf));
  let used = 0, pos = index, width = count;
  while (width > 1n) {
    const rightChild = pos % 2n === 1n;
    if (rightChild || pos + 1n < width) {
      if (used === path.length) return null;
      const sibling = path[used++];
      node = sha256(concatBytes(new Uint8Array([1]), rightChild ? sibling : node, rightChild ? node : sibling));
    }
    pos /= 2n;
    width = (width + 1n) / 2n;
  }
  // Unused entries would be bytes the proof carries that nothing checked.
  return used === path.length ? node : null;
}
function historyNext(previous, height, receiptsRoot, previousStateRoot) {
  return taggedHash("sharechain/history", concatBytes(previous, be64(height), receiptsRoot, previousStateRoot));
}
function voteDigest(chainId, view, height, blockHash) {
  const c = scText.encode(chainId);
  return taggedHash("sharechain/consensus/vote",
    concatBytes(new Uint8Array([VOTE_COMMIT]), be32(c.length), c, be64(view), be64(height), blockHash));
}
function readPath(raw, part, height) {
  raw.forEach((h, i) => { if (h.length !== 32) throw proofFail(part, height, "entry " + i + " is not 32 bytes"); });
  return raw;
}

// Every vote valid, from distinct validators of the set (its keys), and a quorum of them.
function checkCommitCertificate(trust, keys, cert, height, blockHash) {
  const n = keys.length;
  if (cert.height !== height) throw new ProofError("commit certificate is for height " + cert.height + ", expected " + height);
  if (!equalBytes(cert.block_hash, blockHash)) throw new ProofError("commit certificate at height " + height + " is for a different block");
  const digest = voteDigest(trust.chain_id, cert.view, height, blockHash);
  const seen = new Set();
  for (const vote of cert.votes) {
    if (vote.validator >= BigInt(n)) {
      throw new ProofError("commit certificate: vote from validator " + vote.validator + ", which is not in the validator set");
    }
    const v = Number(vote.validator);
    if (seen.has(v)) throw new ProofError("commit certificate: validator " + v + " voted twice");
    if (!schnorrVerify(keys[v], digest, vote.signature)) {
      throw new ProofError("commit certificate: bad signature from validator " + v);
    }
    seen.add(v);
  }
  if (seen.size < quorumSize(n)) throw new ProofError("commit certificate: " + seen.size + " votes, a quorum is " + quorumSize(n));
  return seen.size;
}
// tagged_hash("sharechain/validator-set", be32(n) || key_0 || ... || key_{n-1}): what headers
// carry as validator_set_hash (docs/crypto.md).
function validatorSetHash(keys) {
  return taggedHash("sharechain/validator-set", concatBytes(be32(keys.length), ...keys));
}
// The chain of sets when nothing but the genesis file is known: epoch 0 alone.
function genesisSets(trust) {
  return [{ epoch: 0n, from_height: 0n, validators: trust.validators }];
}
// The header decoded, of this chain, at `height`, and committed by a quorum of the set of the
// epoch it names, which must be one of `sets` and in force at that height.
function checkCertified(certified, part, height, trust, sets) {
  const header = tryDecode(".sharechain.BlockHeader", certified.header);
  if (header === null) throw proofFail(part, height, "the header does not decode");
  if (header.get("chain_id") !== trust.chain_id) {
    throw proofFail(part, height, "the header is of chain '" + header.get("chain_id") + "', the genesis file's is '" + trust.chain_id + "'");
  }
  if (header.get("height") !== height) throw proofFail(part, height, "the header says height " + header.get("height"));
  const epoch = header.get("epoch"), m = BigInt(sets.length);
  if (epoch >= m) {
    throw proofFail(part, height, "the header is certified by the validator set of epoch " + epoch +
      ", and the bundle carries sets up to epoch " + (m - 1n) + " only");
  }
  // A set certifies only its own epoch's heights: a set that has left could otherwise sign
  // headers of heights its successors certify.
  const inForce = sets[Number(epoch)];
  if (height <= inForce.from_height) {
    throw proofFail(part, height, "the header is of epoch " + epoch + ", whose set certifies the heights above " + inForce.from_height);
  }
  if (epoch + 1n < m && height > sets[Number(epoch) + 1].from_height) {
    throw proofFail(part, height, "the header is of epoch " + epoch + ", which ended at height " + sets[Number(epoch) + 1].from_height);
  }
  const setHash = header.get("validator_set_hash");
  // Only epoch 0 may lack it: blocks certified before the field existed have none.
  if (!setHash.length && epoch > 0n) throw proofFail(part, height, "the header of epoch " + epoch + " names no validator set");
  if (setHash.length && !equalBytes(setHash, validatorSetHash(inForce.validators))) {
    const whose = epoch === 0n ? "the genesis file's" : "the bundle's set of epoch " + epoch;
    throw proofFail(part, height, "the header names validator set " + bytesToHex(setHash) + ", not " + whose);
  }
  let votes;
  try {
    votes = checkCommitCertificate(trust, inForce.validators, certified.certificate, height, sha256(certified.header));
  } catch (e) {
    if (e instanceof ProofError) throw proofFail(part + " certificate", height, e.message);
    throw e;
  }
  return { header, votes, n: inForce.validators.length };
}
function checkSignedTransaction(raw, chainId, height) {
  const fail = (why) => proofFail("transaction", height, why);
  if (raw.length > MAX_TRANSACTION_BYTES) throw fail("transaction is " + raw.length + " bytes; the limit is " + MAX_TRANSACTION_BYTES);
  const signed = tryDecode(".sharechain.SignedTransaction", raw);
  if (signed === null) throw fail("does not decode");
  const key = signed.get("public_key"), sig = signed.get("signature"), bodyBytes = signed.get("body");
  if (key.length !== 32) throw fail("public_key must be a 32-byte x-only secp256k1 key, got " + key.length + " bytes");
  if (sig.length !== 64) throw fail("signature must be 64 bytes (BIP340), got " + sig.length + " bytes");
  const body = tryDecode(".sharechain.TransactionBody", bodyBytes);
  if (body === null) throw fail("transaction body is not a valid TransactionBody message");
  if (body.get("chain_id") !== chainId) throw fail("transaction is for chain '" + body.get("chain_id") + "', the genesis file's is '" + chainId + "'");
  const sender = sha256(key).subarray(0, 20);
  if (!equalBytes(body.get("sender"), sender)) {
    const claimed = body.get("sender");
    const text = claimed.length === 20 ? formatAddress(claimed) : "(not 20 bytes)";
    throw fail("sender " + text + " is not the address of the signing key (" + formatAddress(sender) + ")");
  }
  if (body.whichOneof("call") === null) throw fail("transaction names no contract call");
  if (!schnorrVerify(key, taggedHash("sharechain/tx", bodyBytes), sig)) throw fail("signature does not verify for the given public key and body");
  return { body, sender, txHash: sha256(bodyBytes) };
}

// Checks one proof (the bundle's JSON form read by proofFromJson) against the chain of
// validator sets (readValidatorSets; the genesis set alone when not given) and returns what it
// proves.
function verifyTransactionProof(proof, trust, sets) {
  sets = sets || genesisSets(trust);
  const h = proof.height;
  if (h === 0n) throw proofFail("proof", h, "height 0 is genesis and holds no transactions");
  // The block: a quorum of the validators in force committed exactly this header...
  const block = checkCertified(proof.block, "block", h, trust, sets);
  const header = block.header;
  // ...whose signed_tx_root the transaction's exact bytes hash up to, signed by its sender.
  const signedRoot = hash32(header.get("signed_tx_root"));
  if (signedRoot === null) throw proofFail("block", h, "the header has no signed_tx_root (certified before it existed)");
  const txPath = readPath(proof.transaction_path, "transaction path", h);
  const txRoot = merkleRootFromPath(sha256(proof.transaction), proof.index, proof.transaction_count, txPath);
  if (txRoot === null) {
    throw proofFail("transaction path", h, "does not fit position " + proof.index + " of " + proof.transaction_count + " transactions");
  }
  if (!equalBytes(txRoot, signedRoot)) throw proofFail("transaction path", h, "the transaction does not hash to the block's signed_tx_root");
  const tx = checkSignedTransaction(proof.transaction, trust.chain_id, h);
  // The receipt; equal counts matter: under another count the same path can fit the same position.
  if (proof.receipt_count !== proof.transaction_count) {
    throw proofFail("receipt path", h, proof.receipt_count + " receipts for " + proof.transaction_count + " transactions");
  }
  const rPath = readPath(proof.receipt_path, "receipt path", h);
  const receiptsRoot = merkleRootFromPath(sha256(proof.receipt), proof.index, proof.receipt_count, rPath);
  if (receiptsRoot === null) throw proofFail("receipt path", h, "does not fit the receipt's position");
  const receipt = tryDecode(".sharechain.Receipt", proof.receipt);
  if (receipt === null) throw proofFail("receipt", h, "does not decode");
  if (!equalBytes(receipt.get("tx_hash"), tx.txHash) || receipt.get("height") !== h || receipt.get("index") !== proof.index) {
    throw proofFail("receipt", h, "names another transaction or position");
  }
  // The history chain from h up to the anchor's state_height. What lies below h is taken from
  // the proof unchecked: it is bound by hashing into the certified history_root.
  const prevHistory = hash32(proof.previous_history), prevRoot = hash32(proof.previous_state_root);
  if (prevHistory === null || prevRoot === null) throw proofFail("history", h, "previous_history and previous_state_root must be 32 bytes");
  let history = historyNext(prevHistory, h, receiptsRoot, prevRoot);
  let reached = h;
  for (const link of proof.links) {
    if (link.height !== reached + 1n) throw proofFail("history link", link.height, "expected height " + (reached + 1n));
    const root = hash32(link.receipts_root), below = hash32(link.previous_state_root);
    if (root === null || below === null) throw proofFail("history link", link.height, "receipts_root and previous_state_root must be 32 bytes");
    history = historyNext(history, link.height, root, below);
    reached = link.height;
  }
  // The anchor: a later certified block whose history_root is that value.
  const anchorHeader = tryDecode(".sharechain.BlockHeader", proof.anchor.header);
  if (anchorHeader === null) throw proofFail("anchor", h, "the header does not decode");
  const ah = anchorHeader.get("height");
  if (ah <= h) throw proofFail("anchor", ah, "is not above the transaction's block");
  const anchor = checkCertified(proof.anchor, "anchor", ah, trust, sets);
  if (anchor.header.get("state_height") !== reached) {
    throw proofFail("anchor", ah, "certifies history at height " + anchor.header.get("state_height") + ", the links reach height " + reached);
  }
  const certified = hash32(anchor.header.get("history_root"));
  if (certified === null) throw proofFail("anchor", ah, "the header has no history_root");
  if (!equalBytes(certified, history)) {
    throw proofFail("history", h, "the receipt and links hash to " + bytesToHex(history) + ", the anchor certifies " + bytesToHex(certified));
  }
  return {
    height: h, index: proof.index, tx_hash: bytesToHex(tx.txHash), block_hash: bytesToHex(sha256(proof.block.header)),
    timestamp_ms: header.get("timestamp_ms"), anchor_height: ah, transaction: proof.transaction, body: tx.body,
    sender: tx.sender, receipt, block_votes: block.votes, block_set_size: block.n, anchor_votes: anchor.votes,
    anchor_set_size: anchor.n, links: proof.links.length,
    tx_path: txPath.length, receipt_path: rPath.length,
  };
}

// ---- reading a proof from the bundle -------------------------------------------------------

class FieldReader {
  constructor(where) { this.where = where; }
  missing(name, what) { return new ProofError(this.where + name + " must be " + what); }
  member(j, name) {
    if (!isDict(j) || !dictHas(j, name)) throw this.missing(name, "present");
    return dictGet(j, name);
  }
  number(j, name, limit) {
    const v = this.member(j, name);
    if (jsonKind(v) !== "int" || v < 0n || v > U64_MAX) throw this.missing(name, "a non-negative integer");
    if (v > (limit === undefined ? U64_MAX : limit)) throw this.missing(name, "a 32-bit number");
    return v;
  }
  raw(j, name) {
    const b = bundleHex(this.member(j, name));
    if (b === null) throw this.missing(name, "a lower-case hex string");
    return b;
  }
  hashes(j, name) {
    const v = this.member(j, name);
    const out = Array.isArray(v) ? v.map(bundleHex) : null;
    if (out === null || out.some((e) => e === null)) throw this.missing(name, "an array of lower-case hex strings");
    return out;
  }
  certified(j, name) {
    const m = this.member(j, name);
    const inner = new FieldReader(this.where + name + ".");
    const header = inner.raw(m, "header");
    const cert = inner.member(m, "certificate");
    const c = new FieldReader(this.where + name + ".certificate.");
    const out = { header, certificate: { height: c.number(cert, "height"), view: c.number(cert, "view"), block_hash: c.raw(cert, "block_hash"), votes: [] } };
    const votes = c.member(cert, "votes");
    if (!Array.isArray(votes)) throw c.missing("votes", "an array");
    for (const v of votes) out.certificate.votes.push({ validator: c.number(v, "validator", U32_MAX), signature: c.raw(v, "signature") });
    return out;
  }
}
function proofFromJson(j) {
  const p = { height: new FieldReader("").number(j, "height") };
  const at = new FieldReader("height " + p.height + ": ");
  p.index = at.number(j, "index", U32_MAX);
  p.transaction = at.raw(j, "transaction");
  p.transaction_count = at.number(j, "transaction_count", U32_MAX);
  p.receipt = at.raw(j, "receipt");
  p.receipt_count = at.number(j, "receipt_count", U32_MAX);
  p.previous_history = at.raw(j, "previous_history");
  p.previous_state_root = at.raw(j, "previous_state_root");
  p.transaction_path = at.hashes(j, "transaction_path");
  p.receipt_path = at.hashes(j, "receipt_path");
  p.block = at.certified(j, "block");
  p.anchor = at.certified(j, "anchor");
  const links = at.member(j, "links");
  if (!Array.isArray(links)) throw at.missing("links", "an array");
  p.links = links.map((l) => ({ height: at.number(l, "height"), receipts_root: at.raw(l, "receipts_root"), previous_state_root: at.raw(l, "previous_state_root") }));
  return p;
}

// ---- state proofs (docs/proofs.md, "State proofs") ------------------------------------------
// One state entry, or its absence, in the state after `height`: a path of the sparse Merkle tree
// over the state, whose root the anchor's certified state_root commits to beside the LtHash root.

const STATE_TREE_SPARSE_MERKLE = "sparse-merkle-sha256";
const STATE_TREE_MAX_DEPTH = 256;   // two different key hashes part within 256 bits
const STATE_TREE_EMPTY = new Uint8Array(32);

const stateTreeLeaf = (keyHash, valueHash) => sha256(concatBytes(new Uint8Array([2]), keyHash, valueHash));
const stateTreeBranch = (left, right) => sha256(concatBytes(new Uint8Array([3]), left, right));
const combinedStateRoot = (lthashRoot, treeRoot) => taggedHash("sharechain/state-root", concatBytes(lthashRoot, treeRoot));
// Bit i of a key hash, most significant first: 0 goes left.
const keyBit = (keyHash, i) => (keyHash[i >> 3] >> (7 - (i & 7))) & 1;
function samePrefix(a, b, bits) {
  for (let i = 0; i < bits; i++) if (keyBit(a, i) !== keyBit(b, i)) return false;
  return true;
}

// A state proof from its bundle form (the JSON of the client API's StateProof); ProofError
// names the field that is wrong, as proofFromJson does.
function stateProofFromJson(j) {
  const p = { height: new FieldReader("").number(j, "height") };
  const at = new FieldReader("height " + p.height + ": ");
  p.key = at.raw(j, "key");
  p.present = at.member(j, "present");
  if (typeof p.present !== "boolean") throw at.missing("present", "true or false");
  if (p.present) p.value = at.raw(j, "value");
  else if (dictHas(j, "value")) throw at.missing("value", "absent when present is false");
  else p.value = new Uint8Array(0);
  const siblings = at.member(j, "siblings");
  if (!Array.isArray(siblings)) throw at.missing("siblings", "an array of lower-case hex strings");
  p.siblings = siblings.map(bundleHex);
  if (p.siblings.some((e) => e === null)) throw at.missing("siblings", "an array of lower-case hex strings");
  p.other_key_hash = dictHas(j, "other_key_hash") ? at.raw(j, "other_key_hash") : new Uint8Array(0);
  p.other_value_hash = dictHas(j, "other_value_hash") ? at.raw(j, "other_value_hash") : new Uint8Array(0);
  p.lthash_root = at.raw(j, "lthash_root");
  p.anchor = at.certified(j, "anchor");
  return p;
}

// Checks one state proof (stateProofFromJson's form) against the chain of validator sets and
// returns what it proves: {key, present, value, height, anchor_height, ...}.
function verifyStateProof(proof, trust, sets) {
  sets = sets || genesisSets(trust);
  const h = proof.height;
  // S1. The anchor: a certified block whose header certifies the state after h.
  const anchorHeader = tryDecode(".sharechain.BlockHeader", proof.anchor.header);
  if (anchorHeader === null) throw proofFail("anchor", h, "the header does not decode");
  const ah = anchorHeader.get("height");
  const anchor = checkCertified(proof.anchor, "anchor", ah, trust, sets);
  const stateHeight = anchor.header.get("state_height");
  if (stateHeight !== h) throw proofFail("anchor", ah, "certifies the state at height " + stateHeight + ", the proof is of height " + h);
  const certified = hash32(anchor.header.get("state_root"));
  if (certified === null) throw proofFail("anchor", ah, "the header has no state_root");
  // S2. The path's shape.
  const d = proof.siblings.length;
  if (d > STATE_TREE_MAX_DEPTH) throw proofFail("state path", h, "has " + d + " entries, more than " + STATE_TREE_MAX_DEPTH);
  proof.siblings.forEach((s, i) => {
    if (s.length !== 0 && s.length !== 32) throw proofFail("state path", h, "entry " + i + " is neither empty nor 32 bytes");
  });
  const lthashRoot = hash32(proof.lthash_root);
  if (lthashRoot === null) throw proofFail("state", h, "lthash_root must be 32 bytes");
  // S3. The end of the path: the key's own leaf, another entry's leaf alone in the key's
  // subtree, or an empty subtree.
  const keyHash = sha256(proof.key);
  const otherKey = proof.other_key_hash, otherValue = proof.other_value_hash;
  let node;
  if (proof.present) {
    if (otherKey.length || otherValue.length) throw proofFail("state", h, "a present key's proof names another leaf");
    node = stateTreeLeaf(keyHash, sha256(proof.value));
  } else {
    if (proof.value.length) throw proofFail("state", h, "an absent key's proof carries a value");
    if (otherKey.length || otherValue.length) {
      if (otherKey.length !== 32 || otherValue.length !== 32) {
        throw proofFail("state", h, "other_key_hash and other_value_hash must be 32 bytes");
      }
      if (equalBytes(otherKey, keyHash)) throw proofFail("state", h, "the other leaf is the key's own");
      if (!samePrefix(otherKey, keyHash, d)) throw proofFail("state", h, "the other leaf does not lie on the key's path");
      node = stateTreeLeaf(otherKey, otherValue);
    } else {
      node = STATE_TREE_EMPTY;
    }
  }
  // S4. Up to the root, the deepest sibling first.
  for (let i = d - 1; i >= 0; i--) {
    const s = proof.siblings[i].length ? proof.siblings[i] : STATE_TREE_EMPTY;
    node = keyBit(keyHash, i) ? stateTreeBranch(s, node) : stateTreeBranch(node, s);
  }
  // S5. The tree root beside the LtHash root makes the certified state root.
  const root = combinedStateRoot(lthashRoot, node);
  if (!equalBytes(root, certified)) {
    throw proofFail("state", h, "the path hashes to state root " + bytesToHex(root) + ", the anchor certifies " + bytesToHex(certified));
  }
  return {
    key: proof.key, present: proof.present, value: proof.value, height: h, anchor_height: ah,
    anchor_votes: anchor.votes, anchor_set_size: anchor.n, depth: d,
    ends_at: proof.present ? "the key's leaf" : otherKey.length ? "another key's leaf" : "an empty subtree",
  };
}

// ---- vehicle reports and revenue statements (docs/proofs.md, "Facts of ...") -------------------

function attribute(e, key) {
  for (const a of e.get("attributes")) if (a.get("key") === key) return a.get("value");
  return "";
}
// The first attribute of that key typed as a number; a text one of the same key is skipped.
function attributeNumber(e, key) {
  for (const a of e.get("attributes")) if (a.get("key") === key && a.whichOneof("typed") === "number") return a.get("number");
  return 0n;
}

function applyVehicleEvent(r, e, recordId, p) {
  const name = e.get("name");
  if (name === "RecordSubmitted" || name === "OwnershipTransferOffered") {
    Object.assign(r, {
      record: recordId, kind: attribute(e, "kind"), submitter: formatAddress(p.sender),
      organisation: attribute(e, "organisation"), occurred_at_ms: attributeNumber(e, "occurred_at_ms"),
      odometer_km: attributeNumber(e, "odometer_km"), evidence: attribute(e, "evidence"),
      submitted_height: p.height, submitted_tx: p.tx_hash, threshold: attributeNumber(e, "threshold"),
    });
    if (!("endorsements" in r)) r.endorsements = [];
    // A decision listed before the submission (same block) stands.
    if (!("status" in r)) r.status = attribute(e, "status");
  } else if (name === "RecordEndorsed") {
    if (!("endorsements" in r)) r.endorsements = [];
    r.endorsements.push({ attester: attribute(e, "attester"), organisation: attribute(e, "organisation"),
      verdict: attribute(e, "verdict"), height: p.height, tx: p.tx_hash });
  } else if (name === "RecordAttested" || name === "RecordRejected") {
    const attested = name === "RecordAttested";
    Object.assign(r, { status: attested ? "ATTESTED" : "REJECTED", true: attributeNumber(e, "true"),
      false: attributeNumber(e, "false"), threshold_met: attested, decided_height: p.height, decided_tx: p.tx_hash });
  } else if (name === "OwnershipTransferAccepted") {
    r.accepted_height = p.height;
  }
}
function vehicleFacts(subject, proven, states) {
  if (!isDict(subject) || typeof member(subject, "vin") !== "string") throw new ProofError('subject: a vehicle report names its "vin"');
  const vin = member(subject, "vin");
  const records = new Map();   // by record id, in the order they first appear
  for (const p of proven) {
    let about = false;
    for (const e of p.receipt.get("events")) {
      if (e.get("contract") !== "vehicles" || attribute(e, "vin") !== vin) continue;
      about = true;
      const id = attribute(e, "record");
      if (id) {
        if (!records.has(id)) records.set(id, {});
        applyVehicleEvent(records.get(id), e, id, p);
      }
    }
    if (!about) throw new ProofError("transaction " + p.tx_hash + " at height " + p.height + " is not about vehicle " + vin);
  }
  for (const [id, r] of records) {
    if (!("submitted_tx" in r)) throw new ProofError("record " + id + ": the bundle proves endorsements of it but not its submission");
  }
  const facts = { vin, records: [...records.values()] };
  if (states.length) facts.vehicle_state = vehicleState(vin, facts.records, states);
  return facts;
}
// docs/proofs.md, "State proofs": the vehicle's entry proven at a height gives its counters, and
// the report must list every record submitted up to that height, so that it is complete there.
function vehicleState(vin, records, states) {
  if (states.length > 1) throw new ProofError("a vehicle report carries at most one state proof");
  const s = states[0];
  if (!equalBytes(s.key, scText.encode("vehicles/vehicle/" + vin))) {
    throw new ProofError("the state proof is of key " + bytesToHex(s.key) + ", not of vehicle " + vin);
  }
  // The Vehicle message's counters (proto/sharechain/vehicles.proto: records 4, attested 5,
  // rejected 6), varints, the last of a number counting, absent 0. Only the wire format must
  // hold: the other fields are skipped, not parsed.
  const counts = { records: 0n, attested: 0n, rejected: 0n };
  if (s.present) {
    let fields;
    try { fields = wireFields(s.value); } catch (e) {
      if (e instanceof DecodeError) throw new ProofError("the vehicle's state does not decode");
      throw e;
    }
    const names = { 4: "records", 5: "attested", 6: "rejected" };
    for (const f of fields) if (f.wt === 0 && names[f.num]) counts[names[f.num]] = f.val;
  }
  const listed = BigInt(records.filter((r) => r.submitted_height <= s.height).length);
  if (listed !== counts.records) {
    throw new ProofError("the chain holds " + counts.records + " records of vehicle " + vin + " at height " + s.height +
      ", the bundle proves " + listed + " of them");
  }
  return { height: s.height, present: s.present, records: counts.records, attested: counts.attested, rejected: counts.rejected };
}
function stateFacts(subject, proven, states) {
  if (proven.length !== 0 || states.length !== 1) throw new ProofError("a state bundle proves one state entry and no transaction");
  if (!isDict(subject) || typeof member(subject, "key") !== "string") throw new ProofError('subject: a state bundle names its "key"');
  // As the subject spells it: another spelling of the same bytes is not the key.
  const s = states[0], key = bytesToHex(s.key), named = member(subject, "key");
  if (key !== named) throw new ProofError("the state proof is of key " + key + ", the subject names " + named);
  const facts = { key, present: s.present };
  if (s.present) facts.value = bytesToHex(s.value);
  facts.height = s.height;
  return facts;
}

const DAY_MS = 86400000n;
// {asset, period, from_ms, to_ms} of a UTC calendar month ("2026-12") or year ("2026").
function revenueSubject(asset, period) {
  if (typeof asset !== "string" || !asset || asset.length % 2 || !/^[0-9a-f]*$/.test(asset)) {
    throw new ProofError("the asset id must be lower-case hex");
  }
  let year, month = null;
  if (typeof period === "string" && period.length === 7 && period[4] === "-" && /^[0-9]{4}$/.test(period.slice(0, 4)) && /^[0-9]{2}$/.test(period.slice(5))) {
    month = Number(period.slice(5));
    if (month < 1 || month > 12) throw new ProofError("period " + period + ": no such month");
    year = Number(period.slice(0, 4));
  } else if (typeof period === "string" && /^[0-9]{4}$/.test(period)) {
    year = Number(period);
  } else {
    throw new ProofError("period '" + pyStr(period) + "' is not YYYY-MM or YYYY");
  }
  if (year < 1970) throw new ProofError("period " + period + " is before 1970");
  const from = BigInt(Date.UTC(year, month === null ? 0 : month - 1, 1));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === null ? (leap ? 366 : 365) : new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { asset, period, from_ms: from, to_ms: from + BigInt(days) * DAY_MS };
}
function revenueFacts(subject, proven) {
  if (!isDict(subject) || typeof member(subject, "asset") !== "string" || typeof member(subject, "period") !== "string") {
    throw new ProofError('subject: a revenue statement names its "asset" and "period"');
  }
  let b;
  try {
    b = revenueSubject(member(subject, "asset"), member(subject, "period"));
  } catch (e) {
    if (e instanceof ProofError) throw new ProofError("subject: " + e.message);
    throw e;
  }
  const agreements = new Map(), payments = [], byParty = new Map();
  let income = 0n;
  for (const p of proven) {
    const where = "transaction " + p.tx_hash + " at height " + p.height;
    let contributes = false;
    let payment = null;   // the income split the RevenueDistributed events that follow belong to
    for (const e of p.receipt.get("events")) {
      const contract = e.get("contract"), name = e.get("name");
      if (contract === "usage" && name === "AgreementProposed" && attribute(e, "asset") === b.asset) {
        const id = attribute(e, "agreement");
        // The proposer is the proven sender, whose key signed the proposal, not an attribute.
        if (!agreements.has(id)) agreements.set(id, { agreement: id, proposer: formatAddress(p.sender), proposed_height: p.height, proposed_tx: p.tx_hash });
        contributes = true;
      } else if (contract === "revenue" && name === "IncomeSplit" && attribute(e, "source_kind") === "agreement" &&
                 agreements.has(attribute(e, "source")) && b.from_ms <= p.timestamp_ms && p.timestamp_ms < b.to_ms) {
        const amount = attributeNumber(e, "amount");
        income += amount;
        if (income > U64_MAX) throw new ProofError(where + ": the income overflows 64 bits");
        payment = { tx: p.tx_hash, height: p.height, timestamp_ms: p.timestamp_ms, agreement: attribute(e, "source"),
          session: attribute(e, "session"), amount, parts: [], parts_sum: 0n };
        payments.push(payment);
        contributes = true;
      } else if (contract === "revenue" && name === "RevenueDistributed") {
        // A part of another source is not this payment's, yet does not end it.
        if (payment !== null && attribute(e, "source") === payment.agreement) {
          const part = attributeNumber(e, "amount"), party = attribute(e, "party");
          payment.parts_sum += part;
          byParty.set(party, (byParty.get(party) || 0n) + part);
          if (payment.parts_sum > U64_MAX || byParty.get(party) > U64_MAX) throw new ProofError(where + ": a split overflows 64 bits");
          payment.parts.push({ party, paid_to: attribute(e, "paid_to"), amount: part,
            share_bps: attributeNumber(e, "share_bps"), passed_on: attributeNumber(e, "passed_on") });
        }
      } else if (contract === "revenue") {
        payment = null;   // a split of something else: the parts after it are not ours
      }
    }
    if (!contributes) throw new ProofError(where + " is neither a usage agreement of asset " + b.asset + " nor its income in " + b.period);
  }
  // Sorted by code point, the byte order std::map uses for these (ASCII) addresses.
  const parties = [...byParty.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return { asset: b.asset, period: b.period, from_ms: b.from_ms, to_ms: b.to_ms, agreements: [...agreements.values()],
    payments, income, by_party: parties.map((k) => ({ party: k, amount: byParty.get(k) })) };
}

const SUBJECT_KEYS = { "transaction": [], "vehicle-report": ["vin"], "revenue-statement": ["asset", "period", "from_ms", "to_ms"], "state": ["key"] };
// The facts a kind of bundle states, from its proven transactions and proven state entries.
function deriveFacts(kind, subject, proven, states) {
  states = states || [];
  if ((kind === "transaction" || kind === "revenue-statement") && states.length) {
    throw new ProofError("a " + kind + " bundle carries no state proof");
  }
  if (kind === "transaction") {
    if (proven.length !== 1) throw new ProofError("a transaction bundle holds exactly one proof, this one " + proven.length);
    return transactionFacts(proven[0]);
  }
  if (kind === "vehicle-report") return vehicleFacts(subject, proven, states);
  if (kind === "revenue-statement") return revenueFacts(subject, proven);
  if (kind === "state") return stateFacts(subject, proven, states);
  throw new ProofError("bundle kind " + quoted(kind) + " is not one this verifier knows");
}

// ---- the genesis file ----------------------------------------------------------------------

// The genesis as a node reads it: protobuf's JSON mapping of sharechain.Genesis, unknown fields
// refused; then a chain id, validators, and 32-byte keys (hex, optional 0x, any case) each once.
function checkJsonMapping(v, typeName, where) {
  const type = messageType(typeName);
  if (!isDict(v)) throw new Error(where + ": expected an object for " + type.fullName.slice(1));
  const seen = new Set();
  for (const [k, x] of dictEntries(v)) {
    const fd = type.fields.find((f) => f.name === k || (f.jsonName || f.name) === k);
    if (!fd) throw new Error('message type "' + type.fullName.slice(1) + '" has no field named "' + k + '"');
    if (seen.has(fd.name)) throw new Error('field "' + fd.name + '" is given twice');
    seen.add(fd.name);
    if (x === null) continue;
    const one = (y, at) => {
      if (fd.type === T_MESSAGE) return checkJsonMapping(y, fd.typeName, at);
      if (fd.type === T_STRING) { if (typeof y !== "string") throw new Error(at + ": expected a string"); return; }
      if (fd.type === T_BOOL) { if (typeof y !== "boolean") throw new Error(at + ": expected true or false"); return; }
      const n = typeof y === "string" && /^-?[0-9]+$/.test(y) ? BigInt(y) : jsonKind(y) === "int" ? y : null;
      if (n === null) throw new Error(at + ": expected an integer");
      const max = fd.type === T_UINT32 ? U32_MAX : U64_MAX;
      if (n < 0n || n > max) throw new Error(at + ": out of range");
    };
    if (fd.label === LABEL_REPEATED) {
      if (!Array.isArray(x)) throw new Error(where + "." + k + ": expected an array");
      x.forEach((y, i) => one(y, where + "." + k + "[" + i + "]"));
    } else one(x, where + "." + k);
  }
}
class GenesisError extends Error {}
function trustFromGenesis(bytes) {
  let g;
  try {
    g = parseJson(scUtf8.decode(bytes));
    checkJsonMapping(g, ".sharechain.Genesis", "genesis");
  } catch (e) {
    throw new GenesisError("not a valid genesis file: " + e.message);
  }
  const chainId = member(g, "chain_id") !== undefined ? member(g, "chain_id") : member(g, "chainId");
  if (typeof chainId !== "string" || !chainId) throw new GenesisError("the genesis file has no chain_id");
  const validators = member(g, "validators") || [];
  if (!validators.length) throw new GenesisError("the genesis file names no validators");
  const keys = [];
  validators.forEach((v, i) => {
    let text = member(v, "public_key") !== undefined ? member(v, "public_key") : member(v, "publicKey");
    text = typeof text === "string" ? text : "";
    if (text.startsWith("0x") || text.startsWith("0X")) text = text.slice(2);
    const name = member(v, "name");
    const where = "genesis validator " + i + " (" + (typeof name === "string" ? name : "") + ")";
    if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new GenesisError(where + ": public_key must be 64 hex digits");
    const key = bundleHex(text.toLowerCase());
    if (keys.some((k) => equalBytes(k, key))) throw new GenesisError(where + ": duplicate public key");
    keys.push(key);
  });
  // docs/proofs.md, "State proofs": only a chain whose genesis names the tree has state roots
  // that commit to one entry; any other value (or none) is the LtHash root alone.
  const tree = member(g, "state_tree") !== undefined ? member(g, "state_tree") : member(g, "stateTree");
  return { chain_id: chainId, genesis_hash: sha256(bytes), validators: keys, state_tree: tree === STATE_TREE_SPARSE_MERKLE };
}

// ---- the bundle ----------------------------------------------------------------------------

function checkClaimedChain(bundle, trust) {
  const chainId = member(bundle, "chain_id");
  if (chainId !== trust.chain_id) return "chain: the bundle is of chain " + quoted(chainId) + ", the genesis file's is '" + trust.chain_id + "'";
  const gh = member(bundle, "genesis_hash");
  if (gh !== bytesToHex(trust.genesis_hash)) {
    return "genesis: the bundle was made against genesis " + pyStr(gh) + ", the file given hashes to " + bytesToHex(trust.genesis_hash);
  }
  return null;
}

const isInt = (v, value) => jsonKind(v) === "int" && (value === undefined || v === value);

// Entry 0, which must restate the genesis file's set: it is the only one trusted as read.
function genesisEntry(entries, trust) {
  const first = Array.isArray(entries) && entries.length ? entries[0] : undefined;
  // Bundles written before epochs existed name no epoch. No set comes before genesis, so no
  // switch block can have certified this one.
  if (!isDict(first) || !isInt(member(first, "from_height"), 0n) || (dictHas(first, "epoch") && !isInt(member(first, "epoch"), 0n)) ||
      !Array.isArray(member(first, "validators")) || dictHas(first, "switch_block")) {
    throw new ProofError("validator set: a bundle's first validator set is the genesis set (from_height 0, epoch 0, no switch block)");
  }
  const validators = member(first, "validators");
  if (validators.length !== trust.validators.length) {
    throw new ProofError("validator set: " + validators.length + " validators, the genesis file has " + trust.validators.length);
  }
  for (let i = 0; i < validators.length; i++) {
    const v = validators[i];
    if (!isDict(v) || !isInt(member(v, "index"), BigInt(i)) || member(v, "public_key") !== bytesToHex(trust.validators[i])) {
      throw new ProofError("validator set: validator " + i + " is not the genesis file's");
    }
  }
  return { epoch: 0n, from_height: 0n, validators: trust.validators };
}
// Entry `epoch`, once the switch block that ends the epoch before it, certified by the sets
// already trusted, names exactly its keys.
function nextEntry(entry, epoch, trusted, trust) {
  const where = "validator set of epoch " + epoch + ": ";
  const e = BigInt(epoch);
  if (!isDict(entry) || !isInt(member(entry, "epoch"), e)) throw new ProofError(where + 'the entry must name "epoch": ' + epoch);
  const below = trusted[trusted.length - 1].from_height;
  const start = member(entry, "from_height");
  // Beyond 64 bits no node could have reached it, and the C++ reader sees no integer there.
  if (!isInt(start) || start <= below || start > U64_MAX) {
    throw new ProofError(where + '"from_height" must be above epoch ' + (epoch - 1) + "'s (" + below + ")");
  }
  const validators = member(entry, "validators");
  if (!Array.isArray(validators) || !validators.length) throw new ProofError(where + '"validators" must be a non-empty array');
  const keys = [];
  for (let i = 0; i < validators.length; i++) {
    const v = validators[i];
    const key = isDict(v) ? bundleHex(member(v, "public_key")) : null;
    if (key === null || key.length !== 32 || !isInt(member(v, "index"), BigInt(i))) {
      throw new ProofError(where + "validator " + i + ' must have "index" ' + i + ' and a 32-byte "public_key"');
    }
    keys.push(key);
  }
  // Only once every entry reads as a validator, as the C++ verifier orders the two checks.
  for (let i = 0; i < keys.length; i++) {
    // A key listed twice would give one signer two of a quorum's votes.
    const j = keys.findIndex((k) => equalBytes(k, keys[i]));
    if (j < i) throw new ProofError(where + "validator " + i + " has the key of validator " + j);
  }
  const sw = new FieldReader(where).certified(entry, "switch_block");
  const part = "switch block of epoch " + epoch;
  const { header } = checkCertified(sw, part, start, trust, trusted);
  const named = header.get("next_validator_set_hash");
  if (!named.length) throw proofFail(part, start, "the header names no next validator set");
  if (!equalBytes(named, validatorSetHash(keys))) {
    throw proofFail(part, start, "the header names next validator set " + bytesToHex(named) + ", not the bundle's set of epoch " + epoch);
  }
  return { epoch: e, from_height: start, validators: keys };
}
// A bundle's validator_sets as the chain of sets it proves: the genesis file's, then each later
// one trusted only because a quorum of the one before it certified it in the last header of its
// epoch. Throws ProofError naming the first entry that is not.
function readValidatorSets(entries, trust) {
  const sets = [genesisEntry(entries, trust)];
  for (let e = 1; e < entries.length; e++) sets.push(nextEntry(entries[e], e, sets, trust));
  return sets;
}

// Verifies a bundle's bytes against a genesis file's bytes. Resolves to {outcome: "proven" |
// "failed" | "unreadable", reason, kind, facts, proven (the transactions), states (the state
// entries), trust, sets (the chain of validator sets, when proven)}; `progress(i, n)` is called
// before each proof, transaction and state proofs alike, so the page can show where it is.
async function verifyBundleBytes(bundleBytes, genesisBytes, progress) {
  let trust;
  try {
    trust = trustFromGenesis(genesisBytes);
  } catch (e) {
    if (e instanceof GenesisError) return { outcome: "unreadable", reason: "genesis: " + e.message };
    throw e;
  }
  let bundle;
  try {
    bundle = parseJson(scUtf8.decode(bundleBytes));
  } catch (e) {
    bundle = null;
  }
  if (!isDict(bundle)) return { outcome: "unreadable", reason: "the file is not JSON (a bundle is one JSON object)" };
  if (member(bundle, "format") !== "sharechain-proof-bundle") {
    return { outcome: "unreadable", reason: 'the file is not a ShareChain proof bundle ("format" is not "sharechain-proof-bundle")' };
  }
  if (jsonKind(member(bundle, "version")) !== "int" || member(bundle, "version") !== 1n) {
    return { outcome: "unreadable", reason: "bundle version is not 1, the one this verifier reads" };
  }
  const failed = (reason, kind) => ({ outcome: "failed", reason, kind: kind || "", trust });
  const wrong = checkClaimedChain(bundle, trust);
  if (wrong) return failed(wrong);
  let sets;
  try {
    sets = readValidatorSets(member(bundle, "validator_sets"), trust);
  } catch (e) {
    if (e instanceof ProofError) return failed(e.message);
    throw e;
  }
  const kind = typeof member(bundle, "kind") === "string" ? member(bundle, "kind") : "";
  // State proofs sit beside the transaction proofs; bundles that prove no state may omit them.
  const stateProofs = dictHas(bundle, "state_proofs") ? member(bundle, "state_proofs") : [];
  if (!Array.isArray(stateProofs)) return failed("state proofs: must be an array", kind);
  const proofs = member(bundle, "proofs");
  if (!Array.isArray(proofs) || (!proofs.length && !stateProofs.length)) return failed("proofs: the bundle holds no proof", kind);
  // Without the tree the certified state root is the LtHash root alone, which proves no entry.
  if (stateProofs.length && !trust.state_tree) {
    return failed("state proofs: the genesis file names no state tree, so its state roots cannot prove an entry", kind);
  }
  const total = proofs.length + stateProofs.length;
  const proven = [];
  for (let i = 0; i < proofs.length; i++) {
    if (progress) await progress(i, total);
    try {
      proven.push(verifyTransactionProof(proofFromJson(proofs[i]), trust, sets));
    } catch (e) {
      if (e instanceof ProofError) return failed("proof " + (i + 1) + " of " + proofs.length + ": " + e.message, kind);
      throw e;
    }
  }
  // In chain order, each transaction once: a repeated proof would show one endorsement as two.
  for (let i = 1; i < proven.length; i++) {
    const p = proven[i], q = proven[i - 1];
    if (p.height < q.height || (p.height === q.height && p.index <= q.index)) {
      return failed("proofs: proof " + (i + 1) + " (height " + p.height + ", index " + p.index + ") is not after the one before it (height " +
        q.height + ", index " + q.index + "); proofs are in chain order, each transaction once", kind);
    }
  }
  const states = [];
  for (let i = 0; i < stateProofs.length; i++) {
    if (progress) await progress(proofs.length + i, total);
    try {
      states.push(verifyStateProof(stateProofFromJson(stateProofs[i]), trust, sets));
    } catch (e) {
      if (e instanceof ProofError) return failed("state proof " + (i + 1) + " of " + stateProofs.length + ": " + e.message, kind);
      throw e;
    }
  }
  const subject = member(bundle, "subject") !== undefined ? member(bundle, "subject") : new Map();
  let facts;
  try {
    facts = deriveFacts(kind, subject, proven, states);
  } catch (e) {
    if (e instanceof ProofError) return failed("facts: " + e.message, kind);
    throw e;
  }
  const expectedSubject = {};
  for (const k of SUBJECT_KEYS[kind]) expectedSubject[k] = facts[k];
  if (firstDifference(subject, expectedSubject) !== null) {
    return failed("subject: it is not what the facts are about (" + pyDumps(subject, true) + ")", kind);
  }
  const where = dictHas(bundle, "facts") ? firstDifference(member(bundle, "facts"), facts) : "";
  if (where !== null) return failed("facts: the bundle states something its proofs do not prove (first difference at facts" + where + ")", kind);
  return { outcome: "proven", reason: "", kind, facts, proven, states, trust, sets };
}

// For tests and the console: the same check without the page.
window.scVerifyBundle = verifyBundleBytes;
