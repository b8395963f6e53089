// Checks the pages make in the browser (issue 13, docs/integrity.md): C2SP verifier keys and
// signed notes (Ed25519 through WebCrypto), checkpoints, the derived log origin, and RFC 6962 /
// 9162 inclusion proofs (SHA-256 through WebCrypto).  Every check throws a VerifyError with a
// stable reason the page translates; nothing here trusts the server's word for what it checks.

/** A failed check: @reason is stable (verify.<reason> in the translations), @detail English. */
export class VerifyError extends Error {
  constructor(reason, detail) {
    super(detail || reason);
    this.reason = reason;
  }
}

const enc = new TextEncoder();

/** Can this browser check Ed25519 signatures and SHA-256 (WebCrypto: a secure context)? */
export async function cryptoAvailable() {
  if (!globalThis.crypto?.subtle) return false;
  try {
    const key = await crypto.subtle.importKey('raw', new Uint8Array(32), { name: 'Ed25519' }, false, ['verify']);
    return !!key;
  } catch (e) {
    return false;
  }
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function fromHex(s) {
  if (!/^([0-9a-f]{2})*$/.test(s)) throw new VerifyError('malformed', 'not lowercase hex');
  return Uint8Array.from(s.match(/../g) || [], (x) => parseInt(x, 16));
}

export function toHex(b) {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** Canonical standard base64 only (RFC 4648 §4), as pbvote writes it. */
export function fromBase64(s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4) throw new VerifyError('malformed', 'not base64');
  const bin = atob(s);
  const out = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (btoa(bin) !== s) throw new VerifyError('malformed', 'not canonical base64');
  return out;
}

/** The 4-byte key ID of Ed25519 key @key named @name: SHA-256(name || "\n" || 0x01 || key)[0..4). */
async function keyId(name, key) {
  return (await sha256(concat(enc.encode(`${name}\n`), Uint8Array.of(1), key))).slice(0, 4);
}

/** A C2SP verifier key "<name>+<8 hex key ID>+<base64(0x01 || key)>": {name, id, key}. */
export async function parseVerifierKey(text) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(String(text || ''));
  if (!m) throw new VerifyError('key', 'not a verifier key');
  const raw = fromBase64(m[3]);
  if (raw.length !== 33 || raw[0] !== 1) throw new VerifyError('key', 'not an Ed25519 verifier key');
  const key = raw.slice(1);
  const id = await keyId(m[1], key);
  if (toHex(id) !== m[2]) throw new VerifyError('key', 'the key ID does not match the key');
  return { name: m[1], id, key, fingerprint: `${m[1]}+${m[2]}` };
}

/** Does @sig sign @data under Ed25519 key @key (WebCrypto)? */
export async function ed25519Verify(key, sig, data) {
  const k = await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, k, sig, data);
}

/**
 * Open the signed note @text with verifier key @vk (docs/integrity.md §3): the text up to the
 * last blank line must be signed by @vk.  Returns the signed text's lines (without the last
 * newline's empty line).
 */
export async function openNote(text, vk) {
  const s = String(text);
  const cut = s.lastIndexOf('\n\n');
  if (cut < 0 || !s.endsWith('\n')) throw new VerifyError('malformed', 'not a signed note');
  const body = s.slice(0, cut + 1);
  const sigLines = s.slice(cut + 2, -1).split('\n');
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new VerifyError('malformed', 'a malformed signature line');
    if (m[1] !== vk.name) continue;
    const raw = fromBase64(m[2]);
    if (raw.length !== 68 || !equal(raw.slice(0, 4), vk.id)) continue;
    if (await ed25519Verify(vk.key, raw.slice(4), enc.encode(body))) return body.slice(0, -1).split('\n');
    throw new VerifyError('signature', 'the signature does not verify');
  }
  throw new VerifyError('signature', 'not signed by the election\'s engine key');
}

/** The log origin of election @id (docs/integrity.md §3.1): never chosen, derived. */
export function originOf(id) {
  return `pbvote/${String(id).replace(/[% +]/g, (c) => ({ '%': '%25', ' ': '%20', '+': '%2B' }[c]))}/ballots`;
}

/** A checkpoint note signed by @vk for election @id: {size: BigInt, root}. */
export async function openCheckpoint(text, vk, id) {
  const lines = await openNote(text, vk);
  if (lines.length !== 3 || !/^(0|[1-9][0-9]{0,18})$/.test(lines[1])) throw new VerifyError('malformed', 'not a checkpoint');
  if (lines[0] !== originOf(id)) throw new VerifyError('origin', 'the checkpoint of another log');
  const root = fromBase64(lines[2]);
  if (root.length !== 32) throw new VerifyError('malformed', 'a root of the wrong length');
  return { size: BigInt(lines[1]), root };
}

/** The RFC 6962 leaf hash of a commitment: SHA-256(0x00 || "pbv/leaf/v1\0" || commitment). */
export async function leafHash(commitment) {
  return sha256(concat(Uint8Array.of(0), enc.encode('pbv/leaf/v1\0'), commitment));
}

/** RFC 9162 §2.1.3.2: does @proof place @leaf at @index in the tree of @size with root @root? */
export async function verifyInclusion(leaf, index, size, proof, root) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn > sn) return false;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(concat(Uint8Array.of(1), p, r));
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await sha256(concat(Uint8Array.of(1), r, p));
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}

/** The short code of a commitment (engine/code.c, pb_code_short): its first 50 bits, 10 symbols. */
export function shortCodeOf(commitment) {
  const A = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let out = '';
  for (let i = 0, bit = 0; i < 10; i++, bit += 5) {
    const w = (commitment[bit >> 3] << 8) | commitment[(bit >> 3) + 1];
    out += A[(w >> (11 - (bit & 7))) & 31];
  }
  return out;
}

/**
 * Check the server's answer @answer for the ballot of @commitmentHex in election @id, whose
 * engine key is @engineKey (the manifest's verifier key): {pending: true}, or {pending: false,
 * index, size} once the proof places the commitment in the log of a checkpoint signed by that
 * key.  With @shortCode (a lookup by short code), the commitment must be one of that short code.
 * Throws a VerifyError otherwise.
 */
export async function checkInclusion(answer, commitmentHex, id, engineKey, shortCode = null) {
  const commitment = fromHex(String(commitmentHex || ''));
  if (commitment.length !== 32) throw new VerifyError('malformed', 'a commitment is 32 bytes');
  if (answer.commitment !== undefined && answer.commitment !== commitmentHex) throw new VerifyError('mismatch', 'the answer is about another ballot');
  if (shortCode && shortCodeOf(commitment) !== shortCode) throw new VerifyError('mismatch', 'the answer is about another ballot');
  if (answer.pending) return { pending: true };
  const vk = await parseVerifierKey(engineKey);
  const cp = await openCheckpoint(answer.checkpoint, vk, id);
  if (!Number.isSafeInteger(answer.index) || !Number.isSafeInteger(answer.size) || BigInt(answer.size) !== cp.size) {
    throw new VerifyError('malformed', 'the proof is not for the signed checkpoint');
  }
  if (!Array.isArray(answer.proof) || answer.proof.length > 64) throw new VerifyError('malformed', 'not a proof');
  const proof = answer.proof.map((h) => {
    const b = fromHex(h);
    if (b.length !== 32) throw new VerifyError('malformed', 'a proof hash is 32 bytes');
    return b;
  });
  if (!(await verifyInclusion(await leafHash(commitment), answer.index, answer.size, proof, cp.root))) {
    throw new VerifyError('proof', 'the proof does not place the ballot in the signed log');
  }
  return { pending: false, index: answer.index, size: answer.size, key: vk.fingerprint };
}

/** DSSE's pre-authentication encoding (docs/integrity.md §2). */
function pae(type, body) {
  const t = enc.encode(type);
  return concat(enc.encode(`DSSEv1 ${t.length} `), t, enc.encode(` ${body.length} `), body);
}

/** Payload types of pbvote's signed documents (docs/integrity.md §2). */
export const TYPES = {
  manifest: 'application/vnd.pbvote.manifest+json;v=1',
  result: 'application/vnd.pbvote.result+json;v=1',
  certification: 'application/vnd.pbvote.certification+json;v=1',
};

/**
 * The payload bytes of DSSE envelope @env of payload type @type, once one of its signatures
 * verifies under @vk over PAE (nothing is canonicalised: the bytes as signed).
 */
export async function openEnvelope(env, type, vk) {
  if (!env || typeof env.payload !== 'string' || !Array.isArray(env.signatures)) throw new VerifyError('malformed', 'not an envelope');
  if (env.payloadType !== type) throw new VerifyError('malformed', 'another kind of document');
  const body = fromBase64(env.payload);
  const signed = pae(type, body);
  for (const s of env.signatures) {
    let sig;
    try {
      sig = fromBase64(String(s.sig));
    } catch (e) {
      continue;
    }
    if (sig.length === 64 && (await ed25519Verify(vk.key, sig, signed))) return body;
  }
  throw new VerifyError('signature', 'no signature by the expected key');
}
