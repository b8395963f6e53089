// Code cards (issue 13): `pbvote codes issue --cards FILE.html --url URL` writes a page (mode
// 0600) of one card per code, six an A4 sheet: the code in large type, the voting address, a QR
// code drawn offline from the file itself, and what to do in each language of the election.  In
// Chromium: every code of the CSV written with it has its card, whose QR code is exactly the
// QR code of URL/vote/ID#code=CODE (encoded here, by the test, with the same library), and that
// link opens the voting page with the code filled in; 7 cards print on 2 A4 pages; axe-core finds
// nothing; a screenshot goes to the build folder.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import qrcodegen from '../../web/vendor/qrcodegen.js';
import { checkAxe } from './lib/checks.mjs';
import { OUT, PBVOTE, assertClean, newPage, useServer } from './lib/harness.mjs';
import { LANGS, tr } from './lib/i18n.mjs';

let data;
let server;
let browser;
useServer(undefined, async (env) => {
  ({ data, server, browser } = env);
});

/** The SVG path of @text's QR code as the cards draw it (level M, a quiet zone of 4 modules). */
function qrPath(text) {
  const qr = qrcodegen.QrCode.encodeText(text, qrcodegen.QrCode.Ecc.MEDIUM);
  let d = '';
  for (let y = 0; y < qr.size; y++) for (let x = 0; x < qr.size; x++) if (qr.getModule(x, y)) d += `M${x + 4},${y + 4}h1v1h-1z`;
  return d;
}

const issue = (...args) => execFileSync(PBVOTE, ['codes', 'issue', '--db', join(data.dir, 'approval.db'), '--key', join(data.dir, 'engine.key'), ...args],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('cards: one per code, its QR code opens the voting page with the code, six an A4 sheet', async () => {
  const cards = join(data.dir, 'cards.html');
  const csv = join(data.dir, 'cards.csv');
  const out = issue('--count', '7', '--cards', cards, '--csv', csv, '--url', `${server.url}/`);
  assert.equal(out, '', 'no code on stdout');
  assert.equal(statSync(cards).mode & 0o777, 0o600);
  const codes = readFileSync(csv, 'utf8').trim().split('\n').slice(1);
  assert.equal(codes.length, 7);
  const address = `${server.url}/vote/approval`;

  const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 794, height: 1123 } });
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(cards).href);
  const qrs = page.getByRole('img', { name: tr('en', 'cards.qr') });
  await qrs.first().locator('svg path').waitFor();
  assert.equal(await qrs.count(), 7);
  for (const code of codes) {
    const card = page.getByRole('region').filter({ has: page.getByText(code, { exact: true }) });
    assert.equal(await card.count(), 1, code);
    const qr = card.getByRole('img', { name: tr('en', 'cards.qr') });
    assert.equal(await qr.getAttribute('data-qr'), `${address}#code=${code}`);
    assert.equal(await qr.locator('path').getAttribute('d'), qrPath(`${address}#code=${code}`), `the QR code of ${code}`);
    await card.getByText(address, { exact: true }).waitFor();
    // printed whole: the code and the QR code inside the card, nothing cut off at its foot
    const box = await card.boundingBox();
    for (const part of [card.getByText(code, { exact: true }), qr]) {
      const b = await part.boundingBox();
      assert.ok(b.x >= box.x && b.y >= box.y && b.x + b.width <= box.x + box.width && b.y + b.height <= box.y + box.height, `${code}: a part outside its card`);
    }
    const fit = await card.evaluate((el) => [el.scrollWidth, el.clientWidth, el.scrollHeight, el.clientHeight]);
    assert.ok(fit[0] <= fit[1] && fit[2] <= fit[3], `${code}: the card overflows (${fit})`);
    // what to do, in each of the election's languages (its title is in all four)
    for (const lang of LANGS) await card.getByText(tr(lang, 'cards.how', { url: address }), { exact: true }).waitFor();
  }
  await checkAxe(page, 'the code cards');
  await page.screenshot({ path: `${OUT}/cards.png`, fullPage: true });
  const pdf = await page.pdf({ preferCSSPageSize: true });
  assert.equal((pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length, 2, '7 cards on 2 A4 sheets');
  assert.deepEqual(requests, [], 'the cards ask no server for anything');
  assert.deepEqual(errors, []);
  await context.close();

  // the link of a card's QR code opens the voting page with its code filled in
  const vote = await newPage(browser, server);
  await vote.goto(`/vote/approval#code=${codes[0]}`);
  const field = vote.getByLabel(tr('en', 'code.label'), { exact: true });
  await field.waitFor();
  assert.equal(await field.inputValue(), codes[0]);
  assertClean(vote);
  await vote.context().close();
});

test('cards need the voting address, and a bad one is refused before any code is issued', async () => {
  const run = (...args) => {
    try {
      issue('--count', '1', ...args);
      return { status: 0, stderr: '' };
    } catch (e) {
      return { status: e.status, stderr: String(e.stderr) };
    }
  };
  let r = run('--cards', join(data.dir, 'no-url.html'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--cards needs --url URL/);
  r = run('--cards', join(data.dir, 'bad-url.html'), '--url', 'https://vote.example/"><script>');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--url: holds a space, a quote/);
  r = run('--url', 'https://vote.example');
  assert.equal(r.status, 2);
  const turnout = await server.api('GET', '/v1/elections/approval/turnout', { token: null });
  assert.equal(turnout.body.codes_issued, 12 + 7, 'no code issued by the refused commands');
});
