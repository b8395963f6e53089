// The receipt check page (issue 13): a resident types the receipt code (or follows the receipt's
// QR code) and the page checks in the browser, with WebCrypto, that the ballot is in the log:
// the checkpoint's Ed25519 signature by the engine key of the manifest, and the RFC 6962 inclusion
// proof of the commitment.  Real receipts are accepted; an unknown code is not found; an answer
// changed in any of its parts (a proof hash, the signature, the root, the commitment) is refused
// with its reason; axe-core finds nothing in English and in Arabic (right to left).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { checkAxe } from './lib/checks.mjs';
import { OUT, assertClean, newPage, useServer } from './lib/harness.mjs';
import { tr } from './lib/i18n.mjs';

const DEMO = 'warszawa-rembertow-2023';
let data;
let server;
let browser;
const receipts = [];

useServer(undefined, async (env) => {
  ({ data, server, browser } = env);
  const manifest = (await server.api('GET', `/v1/elections/${DEMO}`, { token: null })).body.manifest;
  // three ballots from home, then a receipt still pending, then the close puts them in the log
  for (let i = 0; i < 3; i++) {
    const r = await server.api('POST', `/v1/elections/${DEMO}/ballots`, {
      token: null,
      body: { ballot: { approvals: [manifest.projects[i].id] }, code: data.demo.codes[i], submission_id: randomBytes(16).toString('hex') },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    receipts.push(r.body.receipt);
  }
});

/** Type @code on /receipt in @lang and press Check; the outcome's heading. */
async function checkCode(page, lang, code) {
  await page.goto('/receipt');
  await page.getByLabel(tr(lang, 'check.election')).selectOption(DEMO);
  await page.getByRole('textbox', { name: tr(lang, 'check.code') }).fill(code);
  await page.getByRole('button', { name: tr(lang, 'check.submit') }).click();
  return page.locator('.check-result h2');
}

test('a pending receipt is said to be received, not yet in the log', async () => {
  const page = await newPage(browser, server);
  const heading = await checkCode(page, 'en', receipts[0].short_code);
  assert.equal(await heading.textContent(), tr('en', 'check.pendingTitle'));
  assertClean(page);
  await page.context().close();
  const close = await server.api('POST', `/v1/elections/${DEMO}/close`);
  assert.equal(close.status, 200);
});

test('a real receipt typed as a person types it is in the log, checked in the browser', async () => {
  const page = await newPage(browser, server);
  const r = receipts[1];
  const typed = `${r.short_code.slice(0, 5)}-${r.short_code.slice(5)}`.toLowerCase();
  const heading = await checkCode(page, 'en', typed);
  assert.equal(await heading.textContent(), tr('en', 'check.okTitle'));
  const panel = page.locator('.check-result');
  const text = await panel.textContent();
  assert.match(text, new RegExp(r.commitment));
  assert.match(text, /entry \d of 3 in the log/);
  assert.ok(text.includes('pbvote-demo-engine+'), 'the key fingerprint is shown');
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'H2', 'focus moves to the outcome');
  await checkAxe(page, 'the receipt check, in the log');
  await page.screenshot({ path: `${OUT}/receipt-check-en.png`, fullPage: true }); // README.md
  assertClean(page);
  await page.context().close();
});

test('the QR code of a receipt checks it at once, in Polish', async () => {
  const page = await newPage(browser, server, { locale: 'pl-PL' });
  const r = receipts[2];
  await page.goto(`/receipt#e=${DEMO}&c=${r.commitment}`);
  const heading = page.locator('.check-result h2');
  await heading.waitFor();
  assert.equal(await heading.textContent(), tr('pl', 'check.okTitle'));
  assertClean(page);
  await page.context().close();
});

test('an unknown receipt code is not found; a mistyped one is caught on the page', async () => {
  const page = await newPage(browser, server);
  const heading = await checkCode(page, 'en', '0000000000');
  assert.equal(await heading.textContent(), tr('en', 'check.notFoundTitle'));
  await checkAxe(page, 'the receipt check, not found');
  let asked = 0;
  page.on('request', (q) => { if (q.url().includes('/receipts/')) asked++; });
  await page.getByRole('textbox', { name: tr('en', 'check.code') }).fill('ABC*');
  await page.getByRole('button', { name: tr('en', 'check.submit') }).click();
  await page.getByText(tr('en', 'check.codeInvalid'), { exact: true }).first().waitFor();
  assert.equal(asked, 0, 'no request for a malformed code');
  await page.context().close();
});

/** The JSON answer of the receipt route with @change applied to it. */
async function tampered(page, change) {
  await page.route('**/v1/elections/*/receipts/*', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    assert.equal(res.status(), 200, `the real answer: ${JSON.stringify(body)}`);
    change(body);
    await route.fulfill({ response: res, body: JSON.stringify(body) });
  });
}

const flipHex = (h) => (h[0] === '0' ? '1' : '0') + h.slice(1);

for (const [what, change, reason] of [
  ['a hash of the proof', (b) => { b.proof[0] = flipHex(b.proof[0]); }, 'proof'],
  ['the index', (b) => { b.index = (b.index + 1) % b.size; }, 'proof'],
  ['the checkpoint\'s root', (b) => {
    const lines = b.checkpoint.split('\n');
    lines[2] = (lines[2][0] === 'A' ? 'B' : 'A') + lines[2].slice(1);
    b.checkpoint = lines.join('\n');
  }, 'signature'],
  ['the checkpoint\'s signature', (b) => {
    b.checkpoint = b.checkpoint.replace(/(\u2014 \S+ )(.)/, (m, p, c) => p + (c === 'A' ? 'B' : 'A'));
  }, 'signature'],
  ['the commitment', (b) => { b.commitment = flipHex(b.commitment); }, 'mismatch'],
]) {
  test(`a changed answer is refused: ${what}`, async () => {
    const page = await newPage(browser, server, { locale: what === 'the commitment' ? 'ar' : 'en-GB' });
    const lang = what === 'the commitment' ? 'ar' : 'en';
    await tampered(page, change);
    const heading = await checkCode(page, lang, receipts[1].short_code);
    assert.equal(await heading.textContent(), tr(lang, 'check.badTitle'));
    assert.ok((await page.locator('.check-result').textContent()).includes(tr(lang, `verify.${reason}`)), `says: ${reason}`);
    if (lang === 'ar') {
      assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
      await checkAxe(page, 'the receipt check refused, right to left');
    }
    await page.context().close();
  });
}
