// Money in integer minor units end to end (docs/api.md: "scale" decimals), formatted by
// Intl.NumberFormat with the election's currency.  No sum is ever computed in floating point:
// amounts are BigInt, and the formatter is handed an exact decimal string.
import { current } from './i18n.js';

/** @minor (a BigInt or an integer Number) as a decimal string with @scale decimals. */
export function decimalString(minor, scale) {
  const v = BigInt(minor);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const whole = scale ? digits.slice(0, -scale) : digits;
  const frac = scale ? `.${digits.slice(-scale)}` : '';
  return `${neg ? '-' : ''}${whole}${frac}`;
}

// Intl.NumberFormat objects are costly to make (a ballot of 500 projects formats 1,000 amounts):
// one per language, currency, scale and decimals shown, kept.
const formats = new Map();

function formatter(opts) {
  const key = JSON.stringify([current(), opts]);
  if (!formats.has(key)) formats.set(key, new Intl.NumberFormat(current(), opts));
  return formats.get(key);
}

/** @minor formatted in the page's language with the manifest's currency (or plainly when ""). */
export function formatMoney(minor, manifest) {
  const scale = manifest.scale ?? 0;
  const opts = { minimumFractionDigits: 0, maximumFractionDigits: scale };
  if (manifest.currency) {
    Object.assign(opts, { style: 'currency', currency: manifest.currency, currencyDisplay: 'symbol' });
  }
  // A whole amount is shown without decimals; otherwise with the scale's decimals.
  if (BigInt(minor) % (10n ** BigInt(scale)) !== 0n) opts.minimumFractionDigits = scale;
  try {
    return formatter(opts).format(decimalString(minor, scale));
  } catch {
    // an unknown currency code: the number, then the code
    delete opts.style;
    delete opts.currency;
    delete opts.currencyDisplay;
    const n = formatter(opts).format(decimalString(minor, scale));
    return manifest.currency ? `${n} ${manifest.currency}` : n;
  }
}

/** The sum of @ids' costs, a BigInt (exact). */
export function sumCost(manifest, ids) {
  const cost = new Map(manifest.projects.map((p) => [p.id, BigInt(p.cost)]));
  let s = 0n;
  for (const id of ids) s += cost.get(id) ?? 0n;
  return s;
}

/**
 * An exact amount of the result document (minor units as "n", "n/d", or "~decimal" when the
 * engine had to round it down) in the page's language with the currency and at least two
 * decimals (else 363 for 363.36), rounded half up and marked "≈ " when not exact: never a raw
 * fraction.  The same rounding as `pbvote tally --format text` (cli/result_text.c).
 */
export function formatExact(textValue, manifest) {
  const s = String(textValue);
  const scale = manifest.scale ?? 0;
  const dec = Math.max(scale, 2);
  let approx = s.startsWith('~');
  let num;
  let den = 1n;
  const body = approx ? s.slice(1) : s;
  if (body.includes('/')) {
    const [n, d] = body.split('/');
    num = BigInt(n);
    den = BigInt(d);
  } else if (body.includes('.')) {
    const [w, f] = body.split('.');
    num = BigInt(w + f);
    den = 10n ** BigInt(f.length);
  } else {
    num = BigInt(body);
  }
  num *= 10n ** BigInt(dec - scale); // now in 10^-dec currency units
  let q = num / den;
  const rem = num % den;
  if (rem !== 0n) {
    approx = true;
    if (2n * rem >= den) q += 1n;
  }
  const opts = { minimumFractionDigits: dec, maximumFractionDigits: dec };
  const value = decimalString(q, dec);
  let out;
  try {
    out = formatter(manifest.currency ? { ...opts, style: 'currency', currency: manifest.currency, currencyDisplay: 'symbol' } : opts).format(value);
  } catch {
    out = `${formatter(opts).format(value)} ${manifest.currency}`;
  }
  return `${approx ? '≈ ' : ''}${out}`;
}
