// Voter codes as a person types them, read exactly as engine/code.c reads them (forgiving case,
// dashes, spaces, O/0 and I/L/1; a check symbol of the same 32 letters and digits), so that a
// mistyped code is caught on the page and never reaches the server: a typing mistake then costs
// the kiosk nothing.  An election whose box issued codes before issue 13 (GET /v1/elections/{id}
// says "legacy_codes": true) also takes their mod-37 check symbol, which may be one of *~$=U
// (docs/integrity.md §5 and departure 14).

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LEGACY_ALPHABET = `${ALPHABET}*~$=U`;

/** The default code: 10 random bytes, 16 symbols and a check symbol. */
export const CODE_SYMBOLS = 17;

/** @v times the generator x in GF(32) = GF(2)[x] / (x^5 + x^2 + 1). */
function timesX(v) {
  const w = v << 1;
  return w & 32 ? w ^ 0x25 : w;
}

/** The check symbol's value of the data symbols @values (engine/code.c, check_value). */
export function checkValue(values) {
  let m = 0;
  for (const v of values) m = timesX(m) ^ v;
  return timesX(m);
}

function checkValueMod37(values) {
  let m = 0;
  for (const v of values) m = (m * 32 + v) % 37;
  return m;
}

/**
 * Read @typed.  Returns {ok: true, code} with the canonical printed form ("7Q2M-K9XD-3RTB-H8VW-2"),
 * or {ok: false, error, position?, count?}: error is 'empty', 'char' (position: 1-based place of
 * the character in what was typed), 'short' / 'long' (count: symbols typed), 'last_only' (a
 * legacy check-only symbol before the end) or 'check' (a character was mistyped).
 * opts.legacy: also take a code issued before issue 13 (the mod-37 check).
 */
export function parseCode(typed, symbols = CODE_SYMBOLS, opts = {}) {
  const alphabet = opts.legacy ? LEGACY_ALPHABET : ALPHABET;
  const values = [];
  const s = String(typed ?? '');
  for (let i = 0; i < s.length; i++) {
    let c = s[i];
    if (c === '-' || c === ' ' || c === '\u00a0' || c === '\t') continue;
    c = c.toUpperCase();
    if (c === 'O') c = '0';
    else if (c === 'I' || c === 'L') c = '1';
    const v = alphabet.indexOf(c);
    if (v < 0 || c.length !== 1) return { ok: false, error: 'char', position: i + 1 };
    values.push(v);
  }
  if (!values.length) return { ok: false, error: 'empty' };
  if (values.length < symbols) return { ok: false, error: 'short', count: values.length };
  if (values.length > symbols) return { ok: false, error: 'long', count: values.length };
  const data = values.slice(0, -1);
  if (data.some((v) => v >= 32)) return { ok: false, error: 'last_only' };
  const last = values[values.length - 1];
  const fits = (last < 32 && checkValue(data) === last) || (opts.legacy && checkValueMod37(data) === last);
  if (!fits) return { ok: false, error: 'check' };
  const text = values.map((v) => LEGACY_ALPHABET[v]);
  const groups = [];
  for (let i = 0; i < text.length - 1; i += 4) groups.push(text.slice(i, Math.min(i + 4, text.length - 1)).join(''));
  groups.push(text[text.length - 1]);
  return { ok: true, code: groups.join('-') };
}

/**
 * A code found in a scanned QR code: the code itself, or a voting link that carries it after
 * "#code=" (the fragment never reaches a server).  Returns the text to read with parseCode.
 */
export function codeFromScan(raw) {
  const s = String(raw ?? '').trim();
  const hash = s.indexOf('#code=');
  return hash >= 0 ? decodeURIComponent(s.slice(hash + 6)) : s;
}
