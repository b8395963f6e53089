// web/js/verify.js in plain Node (its WebCrypto is the browser's API): the checks against values
// made here independently with node:crypto (createHash, Ed25519 keys): a C2SP verifier key and its
// key ID, a signed checkpoint, the derived origin, RFC 6962 trees of 1 to 70 leaves with every
// inclusion proof (built here by the RFC's recursive definition, not by RFC 9162's iterative
// check the module uses), and every single change to a proof, an index or a signature refused.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import {
  VerifyError, checkInclusion, leafHash, openCheckpoint, originOf, parseVerifierKey, shortCodeOf, verifyInclusion,
} from '../../web/js/verify.js';

const sha = (...parts) => createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest();
const node = (l, r) => sha([1], l, r);

/** RFC 6962 §2.1 MTH over leaf hashes @leaves. */
function mth(leaves) {
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return node(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** RFC 6962 §2.1.1 PATH(m, D[n]), lowest level first. */
function path(m, leaves) {
  if (leaves.length === 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

/** An Ed25519 key named @name: {vkey (the C2SP verifier key text), signNote(text)}. */
function key(name) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const id = sha(`${name}\n`, [1], pub).subarray(0, 4);
  const vkey = `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.from([1]), pub]).toString('base64')}`;
  const signNote = (text) => `${text}\n\n\u2014 ${name} ${Buffer.concat([id, sign(null, Buffer.from(`${text}\n`), privateKey)]).toString('base64')}\n`;
  return { vkey, signNote };
}

test('the short code of a commitment is pb_code_short\'s', () => {
  assert.equal(shortCodeOf(sha('abc')), 'Q9W1DFWF07'); // tests/unit/test_code.c
});

test('a verifier key: its key ID is checked', async () => {
  const k = key('pb.test/engine');
  const vk = await parseVerifierKey(k.vkey);
  assert.equal(vk.name, 'pb.test/engine');
  const bad = k.vkey.replace(/\+([0-9a-f])/, (m, c) => `+${c === '0' ? '1' : '0'}`);
  await assert.rejects(parseVerifierKey(bad), (e) => e instanceof VerifyError && e.reason === 'key');
});

test('origins are derived from the id as docs/integrity.md says', () => {
  assert.equal(originOf('city-2026'), 'pbvote/city-2026/ballots');
  assert.equal(originOf('BO.OM.97/24'), 'pbvote/BO.OM.97/24/ballots');
  assert.equal(originOf('a b+c'), 'pbvote/a%20b%2Bc/ballots');
  assert.equal(originOf('100%'), 'pbvote/100%25/ballots');
});

test('every inclusion proof of trees of 1 to 70 leaves verifies, and every changed one is refused', async () => {
  let checked = 0;
  for (let n = 1; n <= 70; n++) {
    const commitments = Array.from({ length: n }, (_, i) => sha(`ballot ${n} ${i}`));
    const leaves = commitments.map((c) => sha([0], 'pbv/leaf/v1\0', c));
    const root = mth(leaves);
    for (let m = 0; m < n; m++) {
      const leaf = await leafHash(new Uint8Array(commitments[m]));
      assert.deepEqual(Buffer.from(leaf), leaves[m]);
      const p = path(m, leaves).map((x) => new Uint8Array(x));
      assert.equal(await verifyInclusion(leaf, m, n, p, new Uint8Array(root)), true, `leaf ${m} of ${n}`);
      checked++;
      if (n > 1) assert.equal(await verifyInclusion(leaf, (m + 1) % n, n, p, new Uint8Array(root)), false, `index ${(m + 1) % n} of ${n}`);
      // (the size is bound to the root by the checkpoint's signature; an index past it never verifies)
      assert.equal(await verifyInclusion(leaf, m, m, p, new Uint8Array(root)), false, `leaf ${m} in a tree of ${m}`);
      for (let i = 0; i < p.length; i++) {
        const q = p.map((x) => Uint8Array.from(x));
        q[i][i % 32] ^= 1;
        assert.equal(await verifyInclusion(leaf, m, n, q, new Uint8Array(root)), false, `hash ${i} changed`);
      }
      assert.equal(await verifyInclusion(leaf, m, n, [...p, p[0] || leaf], new Uint8Array(root)), false, 'one hash too many');
    }
  }
  assert.equal(checked, (70 * 71) / 2);
});

test('an answer of the server: checkpoint signed by the engine key, proof, commitment', async () => {
  const engine = key('pb.test/engine');
  const commitments = Array.from({ length: 5 }, (_, i) => sha(`c${i}`));
  const leaves = commitments.map((c) => sha([0], 'pbv/leaf/v1\0', c));
  const checkpoint = engine.signNote(`pbvote/e1/ballots\n5\n${mth(leaves).toString('base64')}`);
  const answer = (i) => ({
    checkpoint,
    commitment: commitments[i].toString('hex'),
    index: i,
    pending: false,
    proof: path(i, leaves).map((x) => x.toString('hex')),
    size: 5,
  });
  const ok = await checkInclusion(answer(3), commitments[3].toString('hex'), 'e1', engine.vkey, shortCodeOf(commitments[3]));
  assert.deepEqual({ index: ok.index, size: ok.size, pending: ok.pending }, { index: 3, size: 5, pending: false });
  const refused = async (a, reason, id = 'e1', vkey = engine.vkey, c = commitments[3].toString('hex'), short = null) => {
    await assert.rejects(checkInclusion(a, c, id, vkey, short), (e) => e instanceof VerifyError && e.reason === reason, reason);
  };
  await refused(answer(3), 'origin', 'e2');
  await refused(answer(3), 'signature', 'e1', key('pb.test/engine').vkey);
  await refused({ ...answer(3), checkpoint: checkpoint.replace('\n5\n', '\n6\n') }, 'signature');
  await refused({ ...answer(3), size: 4 }, 'malformed');
  await refused(answer(2), 'mismatch');
  await refused(answer(3), 'mismatch', 'e1', engine.vkey, commitments[3].toString('hex'), shortCodeOf(commitments[2]));
  await refused({ ...answer(3), commitment: undefined, index: 2 }, 'proof');
  assert.deepEqual(await checkInclusion({ pending: true }, commitments[0].toString('hex'), 'e1', engine.vkey), { pending: true });
  const cp = await openCheckpoint(checkpoint, await parseVerifierKey(engine.vkey), 'e1');
  assert.equal(cp.size, 5n);
});
