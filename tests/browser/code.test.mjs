// web/js/code.js reads voter codes as engine/code.c does (docs/integrity.md §5): the vectors below
// are tests/unit/test_code.c's, computed independently in Python; every single substitution and
// every adjacent swap is caught; the mod-37 check of codes issued before issue 13 is read only
// where the election says legacy_codes (departure 14).  Plain Node: the module has no DOM.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { checkValue, parseCode } from '../../web/js/code.js';

const A = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

test('the vectors of tests/unit/test_code.c', () => {
  assert.deepEqual(parseCode('041061050R3GG28AB'), { ok: true, code: '0410-6105-0R3G-G28A-B' });
  assert.deepEqual(parseCode('o4io 61o5 or3g g28a b'), { ok: true, code: '0410-6105-0R3G-G28A-B' });
  assert.deepEqual(parseCode('ZZZZZZZZZZZZZZZZM'), { ok: true, code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-M' });
  assert.deepEqual(parseCode('7Q2M-K9XD-3RTB-H8VW-2'), { ok: true, code: '7Q2M-K9XD-3RTB-H8VW-2' });
  assert.equal(parseCode('7Q2M-K9XD-3RTB-H8VW-4').error, 'check');
  assert.equal(parseCode('CHJPCSV8D5N6PV3DDSQQ0WBJ9', 25).ok, true);
});

test('codes with the mod-37 check: only in an election that issued them', () => {
  assert.equal(parseCode('0410-6105-0R3G-G28A-Z').error, 'check');
  assert.deepEqual(parseCode('ZZZZ-ZZZZ-ZZZZ-ZZZZ-~'), { ok: false, error: 'char', position: 21 });
  const legacy = { legacy: true };
  assert.deepEqual(parseCode('0410-6105-0R3G-G28A-Z', undefined, legacy), { ok: true, code: '0410-6105-0R3G-G28A-Z' });
  assert.deepEqual(parseCode('zzzz zzzz zzzz zzzz ~', undefined, legacy), { ok: true, code: 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-~' });
  assert.equal(parseCode('ZZZZ-ZZZZ-ZZZZ-ZZZ~-Z', undefined, legacy).error, 'last_only');
  assert.equal(parseCode('7Q2M-K9XD-3RTB-H8VW-G', undefined, legacy).ok, true);
  // today's codes still read, and a mistyped legacy code is still caught
  assert.equal(parseCode('0410-6105-0R3G-G28A-B', undefined, legacy).ok, true);
  assert.equal(parseCode('0410-6105-0R3G-G28A-$', undefined, legacy).error, 'check');
});

test('every single substitution and adjacent swap is caught', () => {
  let tried = 0;
  for (let round = 0; round < 200; round++) {
    const data = [...randomBytes(16)].map((b) => b & 31);
    const code = [...data, checkValue(data)].map((v) => A[v]);
    assert.equal(parseCode(code.join('')).ok, true);
    for (let pos = 0; pos < code.length; pos++) {
      for (const s of A) {
        if (s === code[pos]) continue;
        const t = [...code];
        t[pos] = s;
        assert.equal(parseCode(t.join('')).error, 'check', t.join(''));
        tried++;
      }
      if (pos + 1 < code.length && code[pos] !== code[pos + 1]) {
        const t = [...code];
        [t[pos], t[pos + 1]] = [t[pos + 1], t[pos]];
        assert.equal(parseCode(t.join('')).error, 'check', t.join(''));
        tried++;
      }
    }
  }
  assert.ok(tried > 100000);
});
