// The coordinator's code cards in the served pages (issue 13, /admin/cards): the admin token typed
// into the page, the codes from POST .../codes drawn as the cards of `pbvote codes issue --cards`.
// In Chromium: a wrong token and a closed vote are refused in the page's language and issue
// nothing; an open vote gets N cards whose QR codes are exactly those of URL/vote/ID#code=CODE
// (encoded here, by the test, with the same library), and each code casts a ballot (one through
// the voting page its card's link opens); a vote of several contests gets codes for the contests
// ticked (POST .../codes/contests answers them); printed, six cards fill one A4 sheet and nothing
// else is on it; axe-core finds nothing in English and Arabic; the page asks no other site for
// anything and stores nothing in localStorage or sessionStorage.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import qrcodegen from '../../web/vendor/qrcodegen.js';
import { checkAxe } from './lib/checks.mjs';
import { OUT, assertClean, newPage, openVote, useServer } from './lib/harness.mjs';
import { LANGS, tr, txt } from './lib/i18n.mjs';
import { castAndReceipt, projectName } from './lib/vote.mjs';

const METRO = {
  type: 'pbvote.manifest/v1',
  id: 'metro',
  title: { en: 'Metro budget 2026', pl: 'Budżet metropolii 2026' },
  currency: 'EUR',
  scale: 2,
  web_voting: true,
  contests: ['city', 'north', 'south'].map((id, i) => ({
    id,
    title: { en: `${id} ballot`, pl: `Głosowanie ${id}` },
    budget: 5000000,
    projects: [1, 2].map((n) => ({ id: `${id[0]}${n}`, cost: 1000000 * (n + i), name: { en: `${id} project ${n}` } })),
    ballot: { type: 'approval' },
    rule: { name: 'greedy', tie_break: 'lexico' },
  })),
};

let data;
let server;
let browser;

useServer(2, (env) => {
  ({ data, server, browser } = env);
}, { prepare: (d) => openVote(d, METRO) });

/** The SVG path of @text's QR code as the cards draw it (level M, a quiet zone of 4 modules). */
function qrPath(text) {
  const qr = qrcodegen.QrCode.encodeText(text, qrcodegen.QrCode.Ecc.MEDIUM);
  let d = '';
  for (let y = 0; y < qr.size; y++) for (let x = 0; x < qr.size; x++) if (qr.getModule(x, y)) d += `M${x + 4},${y + 4}h1v1h-1z`;
  return d;
}

const issued = async (id) => (await server.api('GET', `/v1/elections/${id}/turnout`, { token: null })).body.codes_issued;

/** Open /admin/cards in @lang, watching every request the page makes. */
async function openPage(lang = 'en') {
  const page = await newPage(browser, server, { locale: lang, viewport: { width: 1024, height: 900 } });
  page.requests = [];
  page.on('request', (r) => page.requests.push(r));
  await page.goto('/admin/cards');
  await page.getByRole('heading', { level: 1, name: tr(lang, 'admincards.title') }).waitFor();
  return page;
}

/** Fill the form and issue; the answer of POST .../codes. */
async function issue(page, lang, { token, election, count, url, contests = [] }) {
  await page.getByLabel(tr(lang, 'admincards.token'), { exact: true }).fill(token);
  await page.getByLabel(tr(lang, 'admincards.election'), { exact: true }).selectOption(election);
  for (const c of contests) await page.getByRole('checkbox', { name: c }).check();
  await page.getByLabel(tr(lang, 'admincards.count'), { exact: true }).fill(String(count));
  if (url) await page.getByLabel(tr(lang, 'admincards.url'), { exact: true }).fill(url);
  const answer = page.waitForResponse((r) => r.url().endsWith('/codes') && r.request().method() === 'POST');
  await page.getByRole('button', { name: tr(lang, 'admincards.submit') }).click();
  return answer;
}

/** The page kept nothing: no storage, no token or code in the address or sent anywhere but the API. */
async function assertNothingKept(page, secrets) {
  const stored = await page.evaluate(() => [localStorage.length, sessionStorage.length, location.href]);
  assert.deepEqual(stored.slice(0, 2), [0, 0], 'nothing in localStorage or sessionStorage');
  for (const s of secrets) assert.ok(!stored[2].includes(s), 'no secret in the address');
  for (const r of page.requests) {
    assert.ok(r.url().startsWith(server.url), `no request to another site: ${r.url()}`);
    if (/\/codes$/.test(r.url())) continue; // the one request that carries the token
    const sent = `${r.url()} ${JSON.stringify(r.headers())} ${r.postData() || ''}`;
    for (const s of secrets) assert.ok(!sent.includes(s), `a secret sent with ${r.url()}`);
  }
}

test('a wrong token and a closed vote are refused with the reason, and nothing is issued', async () => {
  const page = await openPage('pl');
  const before = await issued('approval');
  let answer = await issue(page, 'pl', { token: 'f'.repeat(64), election: 'approval', count: 3 });
  assert.equal(answer.status(), 401);
  const summary = page.getByRole('alert').filter({ hasText: tr('pl', 'error.summary') });
  await summary.getByText(tr('pl', 'admincards.refused.token')).waitFor();
  assert.equal(await page.getByRole('region', { name: tr('en', 'cards.code') }).count(), 0, 'no card');
  // too many for this page: said before anything is sent
  await page.getByLabel(tr('pl', 'admincards.token'), { exact: true }).fill(data.demo.tokens.admin);
  await page.getByLabel(tr('pl', 'admincards.count'), { exact: true }).fill('1001');
  const posts = page.requests.length;
  await page.getByRole('button', { name: tr('pl', 'admincards.submit') }).click();
  await summary.getByText(tr('pl', 'admincards.error.count', { max: 1000 })).waitFor();
  assert.equal(page.requests.length, posts, 'nothing sent for 1001 codes');
  // closed after the page was loaded: the server's refusal, in Polish
  assert.equal((await server.api('POST', '/v1/elections/choose1/close')).status, 200);
  answer = await issue(page, 'pl', { token: data.demo.tokens.admin, election: 'choose1', count: 2 });
  assert.equal(answer.status(), 409);
  await summary.getByText(tr('pl', 'admincards.refused.state')).waitFor();
  assert.equal(await issued('approval'), before);
  await assertNothingKept(page, [data.demo.tokens.admin]);
  assertClean(page);
  await page.context().close();
  // a closed vote is not offered on a fresh page
  const fresh = await openPage('en');
  const options = await fresh.getByLabel(tr('en', 'admincards.election'), { exact: true }).locator('option').evaluateAll((o) => o.map((x) => x.value));
  assert.ok(options.includes('approval') && !options.includes('choose1'), `offered: ${options}`);
  await fresh.context().close();
});

test('an open vote: one card per code, its QR code opens the voting page with the code, and each code votes', async () => {
  const page = await openPage('en');
  await checkAxe(page, 'the code cards form (en)');
  const before = await issued('approval');
  const answer = await issue(page, 'en', { token: data.demo.tokens.admin, election: 'approval', count: 6 });
  assert.equal(answer.status(), 201);
  const codes = (await answer.json()).codes;
  assert.equal(codes.length, 6);
  assert.equal(await issued('approval'), before + 6);
  await page.getByRole('heading', { name: tr('en', 'admincards.done', { count: 6 }) }).waitFor();
  await page.getByText(tr('en', 'admincards.once')).waitFor();
  const address = `${server.url}/vote/approval`;
  const cards = page.getByRole('region', { name: tr('en', 'cards.code') });
  assert.equal(await cards.count(), 6);
  for (const code of codes) {
    const card = cards.filter({ has: page.getByText(code, { exact: true }) });
    assert.equal(await card.count(), 1, code);
    const qr = card.getByRole('img', { name: tr('en', 'cards.qr') });
    assert.equal(await qr.getAttribute('data-qr'), `${address}#code=${code}`);
    assert.equal(await qr.locator('path').getAttribute('d'), qrPath(`${address}#code=${code}`), `the QR code of ${code}`);
    await card.getByText(address, { exact: true }).waitFor();
    for (const lang of LANGS) await card.getByText(tr(lang, 'cards.how', { url: address }), { exact: true }).waitFor();
    const fit = await card.evaluate((el) => [el.scrollWidth, el.clientWidth, el.scrollHeight, el.clientHeight]);
    assert.ok(fit[0] <= fit[1] && fit[2] <= fit[3], `${code}: the card overflows (${fit})`);
  }
  await checkAxe(page, 'the code cards (en)');
  await page.screenshot({ path: `${OUT}/admincards.png`, fullPage: true });
  // printed: the six cards on one A4 sheet, and nothing of the page around them
  await page.emulateMedia({ media: 'print' });
  for (const hidden of [page.getByRole('banner'), page.getByLabel(tr('en', 'admincards.token'), { exact: true }),
    page.getByRole('button', { name: tr('en', 'admincards.print') }), page.getByText(tr('en', 'admincards.once')),
    page.getByRole('heading', { level: 1 })]) assert.equal(await hidden.isVisible(), false, 'page chrome printed');
  await page.screenshot({ path: `${OUT}/admincards-print.png`, fullPage: true });
  await page.emulateMedia({ media: null }); // page.pdf() prints with print media unless screen is emulated
  const pdf = await page.pdf({ preferCSSPageSize: true });
  assert.equal((pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length, 1, '6 cards on one A4 sheet');
  const a4 = /\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/.exec(pdf.toString('latin1'));
  assert.ok(a4 && Math.abs(Number(a4[1]) - 595.28) < 1 && Math.abs(Number(a4[2]) - 841.89) < 1, `an A4 page: ${a4}`);
  await assertNothingKept(page, [data.demo.tokens.admin, ...codes]);
  assertClean(page);
  await page.context().close();

  // the first code through the voting page its card's link opens; the others through the API
  const vote = await newPage(browser, server);
  await vote.goto(`/vote/approval#code=${codes[0]}`);
  const field = vote.getByLabel(tr('en', 'code.label'), { exact: true });
  await field.waitFor();
  assert.equal(await field.inputValue(), codes[0]);
  await vote.getByRole('button', { name: tr('en', 'common.continue') }).click();
  await vote.getByRole('checkbox', { name: projectName(data.elections.approval.manifest, 'p1', 'en') }).check();
  await castAndReceipt(vote, 'en');
  assertClean(vote);
  await vote.context().close();
  for (const code of codes.slice(1)) {
    const r = await server.api('POST', '/v1/elections/approval/ballots',
      { token: null, body: { ballot: { approvals: ['p2'] }, code, submission_id: randomBytes(16).toString('hex') } });
    assert.equal(r.status, 201, `${code}: ${JSON.stringify(r.body)}`);
  }
});

test('a vote of several contests: the codes are for the ballots ticked; the page in Arabic passes axe-core', async () => {
  const page = await openPage('ar');
  await checkAxe(page, 'the code cards form (ar)');
  await page.getByLabel(tr('ar', 'admincards.election'), { exact: true }).selectOption('metro');
  const city = txt(METRO.contests[0].title, 'ar');
  const north = txt(METRO.contests[1].title, 'ar');
  await page.getByRole('group', { name: tr('ar', 'admincards.contests') }).waitFor();
  // none ticked: refused before anything is sent
  await page.getByLabel(tr('ar', 'admincards.token'), { exact: true }).fill(data.demo.tokens.admin);
  await page.getByRole('button', { name: tr('ar', 'admincards.submit') }).click();
  await page.getByText(tr('ar', 'admincards.error.contests')).waitFor();
  const answer = await issue(page, 'ar', { token: data.demo.tokens.admin, election: 'metro', count: 2, contests: [north, city], url: 'https://vote.example/' });
  assert.equal(answer.status(), 201);
  assert.deepEqual(JSON.parse(answer.request().postData()).contests, ['city', 'north'], 'in the manifest order');
  const codes = (await answer.json()).codes;
  await page.getByRole('heading', { name: tr('ar', 'admincards.done', { count: 2 }) }).waitFor();
  const cards = page.getByRole('region', { name: tr('en', 'cards.code') });
  assert.equal(await cards.count(), 2);
  for (const code of codes) {
    const card = cards.filter({ has: page.getByText(code, { exact: true }) });
    await card.getByText(`metro: ${txt(METRO.contests[0].title, 'en')}, ${txt(METRO.contests[1].title, 'en')}`, { exact: true }).waitFor();
    assert.equal(await card.getByRole('img', { name: tr('en', 'cards.qr') }).getAttribute('data-qr'), `https://vote.example/vote/metro#code=${code}`);
    const r = await server.api('POST', '/v1/elections/metro/codes/contests', { token: null, body: { code } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.contests, ['city', 'north'], code);
  }
  await checkAxe(page, 'the code cards (ar)');
  await page.screenshot({ path: `${OUT}/admincards-ar.png`, fullPage: true });
  await assertNothingKept(page, [data.demo.tokens.admin, ...codes]);
  assertClean(page);
  await page.context().close();
});
