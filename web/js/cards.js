// Voter code cards drawn in the page (issue 13; the coordinator's /admin/cards): one card per code,
// six an A4 sheet, with the layout and texts of the file `pbvote codes issue --cards` writes
// (cli/cards.c): the election's title and id (and the contests the code is for), "Your voter code",
// the code in large type, a QR code of URL/vote/ID#code=CODE, the address, and what to do in each
// of the election's languages.  cli/cards.c writes the same markup itself (a file opened from disk
// cannot import modules, and the CLI has no browser to run this one); the class names and the CSS
// rules in app.css (".cards-sheet") are the ones of that file, so the two print alike.
import { h } from './dom.js';
import { isRtl, LANGUAGES } from './i18n.js';
import { qrSvg } from './widgets/qr.js';

const tables = {};

async function table(code) {
  if (!tables[code]) {
    const res = await fetch(new URL(`../i18n/${code}.json`, import.meta.url), { credentials: 'omit' });
    if (!res.ok) throw new Error(`no translation file for ${code}`);
    tables[code] = await res.json();
  }
  return tables[code];
}

/** Does @value (a manifest text) exist in @code (by the primary subtag: "pl" for "pl-PL")? */
function speaks(value, code) {
  if (!value || typeof value === 'string') return false;
  return Object.keys(value).some((k) => k.toLowerCase().split('-')[0] === code);
}

/** @value (a manifest text) in @code, else English, else its first language (as text() picks). */
function textIn(value, code) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  const k = Object.keys(value).find((x) => x.toLowerCase().split('-')[0] === code);
  if (k) return value[k];
  if (value.en !== undefined) return value.en;
  const first = Object.keys(value).sort()[0];
  return first ? value[first] : '';
}

/**
 * The languages of the cards, as cli/cards.c picks them: those of the election's title that the
 * pages speak, in the pages' order, English when none is; the first labels the cards.
 */
export function cardLanguages(manifest) {
  const langs = LANGUAGES.filter((code) => speaks(manifest.title, code));
  return langs.length ? langs : ['en'];
}

/** The address a card's QR code opens: the voting page with @code filled in. */
export function cardLink(url, electionId, code) {
  return `${url}/vote/${electionId}#code=${code}`;
}

/**
 * A sheet of cards: <div class="cards-sheet"> with a <section class="card"> per code of @codes.
 * @url: the voting address (no trailing '/'); @contests: the ids of the contests the codes are
 * for (a vote of several contests), named on each card by their titles.
 */
export async function cardSheet(manifest, electionId, url, codes, contests = []) {
  const langs = cardLanguages(manifest);
  const tabs = Object.fromEntries(await Promise.all(langs.map(async (c) => [c, await table(c)])));
  const english = await table('en');
  const str = (code, key) => tabs[code][key] ?? english[key] ?? key;
  const first = langs[0];
  const address = `${url}/vote/${electionId}`;
  const what = contests.map((id) => textIn((manifest.contests || []).find((c) => c.id === id)?.title, first) || id).join(', ');
  const title = textIn(manifest.title, first);
  const sheet = h('div', { class: 'cards-sheet', lang: first, dir: isRtl(first) ? 'rtl' : 'ltr' });
  for (const code of codes) {
    const svg = qrSvg(cardLink(url, electionId, code), '');
    svg.removeAttribute('role');
    svg.removeAttribute('aria-label');
    svg.removeAttribute('class');
    svg.setAttribute('aria-hidden', 'true');
    sheet.append(h('section', { class: 'card', 'aria-label': str(first, 'cards.code') },
      h('p', { class: 't', text: title }),
      h('p', { class: 'e', text: what ? `${electionId}: ${what}` : electionId }),
      h('p', { class: 'l', text: str(first, 'cards.code') }),
      h('p', { class: 'c', text: code }),
      h('div', { class: 'row' },
        h('div', { class: 'qr', role: 'img', 'aria-label': str(first, 'cards.qr'), 'data-qr': cardLink(url, electionId, code) }, svg),
        h('p', { class: 'u', text: address })),
      ...langs.map((l) => h('p', { class: 'i', lang: l, dir: isRtl(l) ? 'rtl' : 'ltr', text: str(l, 'cards.how').split('{url}').join(address) }))));
  }
  return sheet;
}
