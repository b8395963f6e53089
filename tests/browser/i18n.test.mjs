// The translation files (web/i18n/<lang>.json, plain data): no string is missing in any language,
// each plural has every form its language needs, each translation keeps the placeholders of the
// English one, and every key the pages use exists.  Needs no browser.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LANGS, WEB, tables } from './lib/i18n.mjs';

/** Problems of translation @table in @lang against English @en: [message]. */
export function translationProblems(lang, table, en) {
  const problems = [];
  const holes = (s) => [...String(s).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of Object.keys(en)) {
    if (!(key in table)) { problems.push(`${lang}: ${key} is missing`); continue; }
    const want = en[key];
    const got = table[key];
    if (typeof want === 'object') {
      if (typeof got !== 'object') { problems.push(`${lang}: ${key} needs plural forms`); continue; }
      for (const cat of new Intl.PluralRules(lang).resolvedOptions().pluralCategories) {
        if (typeof got[cat] !== 'string' || !got[cat].trim()) problems.push(`${lang}: ${key} has no "${cat}" form`);
      }
      const wantHoles = new Set(Object.values(want).flatMap(holes));
      for (const [cat, s] of Object.entries(got)) {
        for (const h of holes(s)) if (!wantHoles.has(h)) problems.push(`${lang}: ${key}.${cat} has an unknown {${h}}`);
      }
    } else {
      if (typeof got !== 'string' || !got.trim()) { problems.push(`${lang}: ${key} is empty`); continue; }
      if (holes(got).join() !== holes(want).join()) problems.push(`${lang}: ${key} has {${holes(got)}}, English {${holes(want)}}`);
    }
  }
  for (const key of Object.keys(table)) if (!(key in en)) problems.push(`${lang}: ${key} is not an English key`);
  return problems;
}

/** Every refusal reason of the API (docs/errors.md, engine/pb_refusal.h), read from the docs. */
const REASONS = [...readFileSync(join(WEB, '..', 'docs', 'errors.md'), 'utf8').matchAll(/^\| `([a-z_]+)` \| `[a-z_]+` \(\d+\) \|/gm)]
  .map((m) => m[1]).concat(['offline', 'kiosk', 'web', 'invalid', 'unknown']);

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.js') ? [join(dir, d.name)] : []));
}

test('every language has every string, with its plural forms and placeholders', () => {
  const t = tables();
  const problems = LANGS.flatMap((l) => translationProblems(l, t[l], t.en));
  assert.deepEqual(problems, []);
});

test('the interface languages are the files in web/i18n, each named in languages.json', () => {
  const files = readdirSync(join(WEB, 'i18n')).filter((f) => f !== 'languages.json').map((f) => f.replace(/\.json$/, '')).sort();
  assert.deepEqual(files, [...LANGS].sort());
  const i18n = readFileSync(join(WEB, 'js', 'i18n.js'), 'utf8');
  assert.match(i18n, new RegExp(`LANGUAGES = \\[${LANGS.map((l) => `'${l}'`).join(', ')}\\]`));
  const names = JSON.parse(readFileSync(join(WEB, 'i18n', 'languages.json'), 'utf8'));
  for (const l of LANGS) assert.ok(names[l], `languages.json names ${l}`);
});

test('every key the pages use is in the English file', () => {
  const en = tables().en;
  const used = new Set();
  for (const file of sources(join(WEB, 'js'))) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/\bt\('([\w.]+)'/g)) used.add(m[1]);
    for (const m of src.matchAll(/\b(?:named|toggle)\([^,]*?'([\w.]+)'/g)) used.add(m[1]);
    for (const m of src.matchAll(/t\(\w+ \? '([\w.]+)' : '([\w.]+)'\)/g)) { used.add(m[1]); used.add(m[2]); }
  }
  // keys made at run time: reasons (docs/errors.md), election states, ballot titles
  // (every reason of docs/errors.md, and the page's own: offline, kiosk, web, invalid, unknown)
  for (const r of REASONS) used.add(`reason.${r}`);
  for (const s of ['draft', 'open', 'suspended', 'closed', 'tallied', 'certified']) used.add(`state.${s}`);
  for (const k of ['approval', 'ordinal', 'points']) used.add(`ballot.title.${k}`);
  const missing = [...used].filter((k) => !(k in en)).sort();
  assert.deepEqual(missing, []);
  assert.ok(used.size > 150, `found the keys in the sources (${used.size})`);
  assert.ok(REASONS.length >= 25, `read the reasons of docs/errors.md (${REASONS.length})`);
});
