// The pages' translation files, read by the tests: the tests find controls by the names a
// resident sees in each language, so a missing or wrong translation fails them.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'web');
export const LANGS = ['en', 'pl', 'uk', 'ar'];
const files = Object.fromEntries(LANGS.map((l) => [l, JSON.parse(readFileSync(join(WEB, 'i18n', `${l}.json`), 'utf8'))]));

/** The string @key in @lang, as the page writes it (plural by vars.count; numbers in @lang). */
export function tr(lang, key, vars = {}) {
  let s = files[lang][key];
  if (s === undefined) throw new Error(`no string ${key} in ${lang}.json`);
  if (typeof s === 'object') s = s[new Intl.PluralRules(lang).select(Number(vars.count ?? 0))] ?? s.other;
  return s.replace(/\{(\w+)\}/g, (m, n) => (vars[n] === undefined ? m : typeof vars[n] === 'number' ? new Intl.NumberFormat(lang).format(vars[n]) : String(vars[n])));
}

/** The text of a manifest text in @lang (as the page picks it). */
export function txt(value, lang) {
  if (typeof value === 'string') return value;
  return value[lang] ?? value.en ?? value[Object.keys(value).sort()[0]];
}

/** The raw translation tables. */
export function tables() {
  return files;
}
