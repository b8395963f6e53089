// Casting: every refusal of a code or a ballot shown in the resident's language (and what the
// resident can do next), and a dropped connection that neither loses nor doubles a vote.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { checkStored } from './lib/checks.mjs';
import { assertClean, enrolKiosk, newPage, useServer } from './lib/harness.mjs';
import { tr } from './lib/i18n.mjs';
import { castAndReceipt, enterCode, projectName, startAtKiosk } from './lib/vote.mjs';

let data;
let server;
let browser;

useServer(16, (env) => {
  ({ data, server, browser } = env);
});

/**
 * A well-formed voter code (its check symbol right) that was never issued.  The check symbol is
 * computed here as docs/integrity.md §5 states it, the sum of each symbol times a power of x in
 * GF(32), by carry-less multiplication (not web/js/code.js's Horner rule).
 */
function unissuedCode() {
  const A = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  const mul = (a, b) => {
    let r = 0;
    for (; b; b >>= 1) {
      if (b & 1) r ^= a;
      a <<= 1;
      if (a & 32) a ^= 0x25;
    }
    return r;
  };
  const v = [...randomBytes(16)].map((b) => b & 31);
  let m = 0;
  v.forEach((x, i) => {
    let p = 1;
    for (let k = 0; k < v.length - i; k++) p = mul(p, 2);
    m ^= mul(x, p);
  });
  const s = v.map((x) => A[x]).join('') + A[m];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s[16]}`;
}

/** A kiosk of @id in @lang at its review step with p1 chosen; returns the page. */
async function atReview(id, lang, code, { token = 'kiosk' } = {}) {
  const el = data.elections[id];
  const page = await newPage(browser, server);
  await enrolKiosk(page, id, el[token]);
  await startAtKiosk(page, lang);
  await enterCode(page, lang, code);
  await page.getByRole('checkbox', { name: projectName(el.manifest, 'p1', lang) }).check();
  await page.getByRole('button', { name: tr(lang, 'ballot.next') }).click();
  await page.getByRole('heading', { level: 1, name: tr(lang, 'review.title') }).waitFor();
  return page;
}

/** Cast, and expect the error summary to say @message, focused, on the step titled @heading. */
async function castRefused(page, lang, message, headingKey) {
  await page.getByRole('button', { name: tr(lang, 'review.cast') }).click();
  const summary = page.getByRole('alert').filter({ has: page.getByRole('heading', { name: tr(lang, 'error.summary') }) });
  await summary.getByText(message).waitFor();
  await page.getByRole('heading', { level: 1, name: tr(lang, headingKey) }).waitFor();
  assert.equal(await summary.evaluate((el) => el === document.activeElement), true, 'the summary has focus');
}

test('an unknown code: back to the code, told why, in Polish; the ballot is kept', async () => {
  const page = await atReview('knapsack', 'pl', unissuedCode());
  await castRefused(page, 'pl', tr('pl', 'reason.code_unknown'), 'code.title');
  // a right code then casts the same ballot
  await enterCode(page, 'pl', data.elections.knapsack.codes[0]);
  assert.equal(await page.getByRole('checkbox', { name: projectName(data.elections.knapsack.manifest, 'p1', 'pl') }).isChecked(), true);
  await castAndReceipt(page, 'pl');
  assertClean(page);
  await page.context().close();
});

test('a spent code, in Arabic', async () => {
  const page = await atReview('knapsack', 'ar', data.elections.knapsack.codes[0]);
  await castRefused(page, 'ar', tr('ar', 'reason.code_spent'), 'code.title');
  await page.context().close();
});

test('a code the server cannot read, in Ukrainian', async () => {
  const page = await atReview('knapsack', 'uk', data.elections.knapsack.codes[1]);
  await page.route('**/ballots', (route) => {
    const body = JSON.parse(route.request().postData());
    route.continue({ postData: JSON.stringify({ ...body, code: 'NOT-A-CODE' }) });
  });
  await castRefused(page, 'uk', tr('uk', 'reason.code_malformed'), 'code.title');
  await page.context().close();
});

// Each reason the server gives for a ballot (docs/errors.md), forced by rewriting the ballot on its
// way out (the page itself never sends one that breaks a rule): back to the ballot, told why.
const BALLOT_REFUSALS = [
  ['approval', 'en', { approvals: ['p1', 'p2', 'p3'] }, 'too_many_picks'],
  ['approval', 'en', { approvals: [] }, 'too_few_picks'],
  ['approval', 'en', { approvals: ['p1', 'p9'] }, 'unknown_project'],
  ['approval', 'en', { approvals: ['p1', 'p1'] }, 'duplicate_pick'],
  ['approval', 'en', { ranking: ['p1'] }, 'ballot_malformed'],
  ['knapsack', 'pl', { approvals: ['p1', 'p2', 'p3'] }, 'over_budget'],
  ['choose1', 'uk', { approvals: ['p1', 'p2'] }, 'not_one_pick'],
  ['cumulative', 'ar', { points: { p1: 7 } }, 'points_above_max'],
  ['cumulative', 'ar', { points: { p1: 6, p2: 5 } }, 'too_many_points'],
  ['cumulative', 'ar', { points: { p1: -1 } }, 'negative_points'],
];

test("every ballot refusal of the server, in the resident's language; nothing stored", async () => {
  const pages = {};
  let rewrite = null;
  for (const [id, lang, ballot, reason] of BALLOT_REFUSALS) {
    const el = data.elections[id];
    if (!pages[id]) {
      const page = await newPage(browser, server);
      await enrolKiosk(page, id, el.kiosk);
      await startAtKiosk(page, lang);
      await enterCode(page, lang, el.codes[5]);
      // a ballot the page accepts (each of these elections needs a pick), rewritten on the way out
      const first = projectName(el.manifest, 'p1', lang);
      if (id === 'choose1') await page.getByRole('radio', { name: first }).check();
      else if (id !== 'cumulative') await page.getByRole('checkbox', { name: first }).check();
      await page.route('**/ballots', (route) => {
        const body = JSON.parse(route.request().postData());
        route.continue({ postData: JSON.stringify({ ...body, ballot: rewrite }) });
      });
      pages[id] = page;
    }
    const page = pages[id];
    rewrite = ballot;
    await page.getByRole('button', { name: tr(lang, 'ballot.next') }).click();
    const answer = page.waitForResponse((r) => r.url().endsWith('/ballots'));
    await page.getByRole('button', { name: tr(lang, 'review.cast') }).click();
    assert.equal((await (await answer).json()).reason, reason, `the server's reason for ${JSON.stringify(ballot)}`);
    const summary = page.getByRole('alert').filter({ has: page.getByRole('heading', { name: tr(lang, 'error.summary') }) });
    await summary.getByText(tr(lang, `reason.${reason}`)).waitFor();
    await page.getByRole('heading', { level: 1, name: tr(lang, `ballot.title.${{ cumulative: 'points' }[id] || 'approval'}`) }).waitFor();
  }
  for (const page of Object.values(pages)) await page.context().close();
  for (const id of ['approval', 'knapsack', 'choose1', 'cumulative']) {
    const turnout = await server.api('GET', `/v1/elections/${id}/turnout`, { token: null });
    assert.equal(turnout.body.ballots, id === 'knapsack' ? 1 : 0, `nothing stored in ${id}`);
  }
});

test('the vote is not open (suspended meanwhile), in Polish', async () => {
  const el = data.elections.choose1;
  const p = await newPage(browser, server);
  await enrolKiosk(p, 'choose1', el.kiosk);
  await startAtKiosk(p, 'pl');
  await enterCode(p, 'pl', el.codes[0]);
  await p.getByRole('radio', { name: projectName(el.manifest, 'p2', 'pl') }).check();
  await p.getByRole('button', { name: tr('pl', 'ballot.next') }).click();
  assert.equal((await server.api('POST', '/v1/elections/choose1/suspend')).status, 200);
  await castRefused(p, 'pl', tr('pl', 'reason.not_open'), 'review.title');
  assert.equal((await server.api('POST', '/v1/elections/choose1/resume')).status, 200);
  // open again: the same ballot casts
  await p.getByRole('button', { name: tr('pl', 'review.cast') }).click();
  await p.getByRole('heading', { level: 1, name: tr('pl', 'receipt.title') }).waitFor();
  await p.context().close();
});

test('the server is busy: the page says so and sends the ballot again', async () => {
  const el = data.elections.scoring;
  const p = await newPage(browser, server);
  await enrolKiosk(p, 'scoring', el.kiosk);
  await startAtKiosk(p, 'uk');
  await enterCode(p, 'uk', el.codes[0]);
  let calls = 0;
  await p.route('**/ballots', (route) => {
    calls += 1;
    if (calls === 1) route.fulfill({ status: 503, headers: { 'Retry-After': '1', 'Content-Type': 'application/problem+json' }, body: '{"status":503,"title":"busy","type":"tag:pbvote.org,2026:error/busy"}' });
    else route.continue();
  });
  await p.getByRole('button', { name: tr('uk', 'ballot.next') }).click();
  await p.getByRole('button', { name: tr('uk', 'review.cast') }).click();
  // shown in the cast panel and then announced in the page's live region: both are role=status
  await p.getByRole('status').filter({ hasText: tr('uk', 'cast.busy') }).first().waitFor();
  await p.getByRole('heading', { level: 1, name: tr('uk', 'receipt.title') }).waitFor();
  assert.equal(calls, 2);
  await p.context().close();
});

test('the answer is lost after the ballot was stored: the page retries, one ballot, the same receipt', async () => {
  const el = data.elections.ordinal;
  const page = await newPage(browser, server);
  await enrolKiosk(page, 'ordinal', el.kiosk);
  await startAtKiosk(page, 'ar');
  await enterCode(page, 'ar', el.codes[0]);
  await page.getByRole('button', { name: `${tr('ar', 'ranking.add')} – ${projectName(el.manifest, 'p3', 'ar')}` }).click();
  const bodies = [];
  let stored = null;
  await page.route('**/ballots', async (route) => {
    bodies.push(route.request().postData());
    if (!stored) {
      const res = await route.fetch(); // the server stores the ballot...
      stored = (await res.json()).receipt;
      await route.abort('connectionreset'); // ...and the answer never arrives
    } else {
      await route.continue();
    }
  });
  await page.getByRole('button', { name: tr('ar', 'ballot.next') }).click();
  const answer = page.waitForResponse((r) => r.url().endsWith('/ballots') && r.status() === 200);
  await page.getByRole('button', { name: tr('ar', 'review.cast') }).click();
  await page.getByRole('heading', { name: tr('ar', 'cast.offlineTitle') }).waitFor();
  await page.getByText(tr('ar', 'cast.offline')).first().waitFor();
  const again = (await (await answer).json()).receipt; // 200: a retried submission
  await page.getByRole('heading', { level: 1, name: tr('ar', 'receipt.title') }).waitFor();
  assert.equal(again.commitment, stored.commitment);
  await page.locator('.receipt-line').getByText(stored.short_code, { exact: true }).waitFor();
  assert.equal(new Set(bodies).size, 1, 'the same submission each time');
  assert.ok(bodies.length >= 2);
  const turnout = await server.api('GET', '/v1/elections/ordinal/turnout', { token: null });
  assert.equal(turnout.body.ballots, 1, 'one ballot');
  await page.context().close();
});

test('offline while casting: the offline state and what to do, then the receipt when back', async () => {
  const el = data.elections.knapsack;
  const page = await atReview('knapsack', 'en', el.codes[2]);
  await page.context().setOffline(true);
  await page.getByRole('button', { name: tr('en', 'review.cast') }).click();
  await page.getByRole('heading', { name: tr('en', 'cast.offlineTitle') }).waitFor();
  await page.getByText(tr('en', 'cast.offlineWhatKiosk')).waitFor();
  // the resident cannot change the ballot while its fate is unknown
  assert.equal(await page.getByRole('button', { name: tr('en', 'review.change') }).isDisabled(), true);
  await page.context().setOffline(false); // the page retries at once when the browser is online
  await page.getByRole('heading', { level: 1, name: tr('en', 'receipt.title') }).waitFor();
  await page.context().close();
  await checkStored(server, data, 'knapsack', [{ approvals: ['p1'] }, { approvals: ['p1'] }]);
});
