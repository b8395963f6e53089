// Kiosk mode: enrolment by staff, a vote, the return to the start after the vote and after a
// period without input (with a warning a touch extends), privacy after each reset, mistyped codes
// that cost the next resident nothing, and a vote with the keyboard alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkKioskClean, historyLength, tabTo } from './lib/checks.mjs';
import { assertClean, enrolKiosk, newPage, useServer } from './lib/harness.mjs';
import { tr } from './lib/i18n.mjs';
import { castAndReceipt, enterCode, projectName, startAtKiosk } from './lib/vote.mjs';

let data;
let server;
let browser;

useServer(undefined, (env) => {
  ({ data, server, browser } = env);
});

test('staff enrol a kiosk: a wrong token is refused, and the token stays in that browser only', async () => {
  const el = data.elections.approval;
  const page = await newPage(browser, server);
  await page.goto('/kiosk');
  await page.getByRole('heading', { level: 1, name: tr('en', 'kiosk.setup.title') }).waitFor();
  await page.getByLabel('Vote', { exact: true }).selectOption('approval');
  await page.getByLabel('Kiosk token').fill(el.auditor); // a token, but not a kiosk's
  await page.getByRole('button', { name: 'Enrol this kiosk' }).click();
  await page.getByRole('alert').filter({ hasText: tr('en', 'kiosk.setup.error.notKiosk') }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  await page.getByLabel('Kiosk token').fill(el.device);
  await page.getByRole('button', { name: 'Enrol this kiosk' }).click();
  await page.getByRole('button', { name: 'Start voting' }).waitFor();
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('pbvote.kiosk')));
  assert.equal(stored.token, el.device);
  assert.equal(stored.election, 'approval');
  // another browser (another context) knows nothing of it
  const other = await newPage(browser, server);
  await other.goto('/kiosk');
  await other.getByRole('heading', { level: 1, name: tr('en', 'kiosk.setup.title') }).waitFor();
  await other.context().close();
  await page.context().close();
});

test('after a vote the kiosk starts again and keeps nothing of the resident', async () => {
  const el = data.elections.approval;
  const page = await newPage(browser, server);
  await enrolKiosk(page, 'approval', el.device);
  const history = await historyLength(page);
  await startAtKiosk(page, 'uk');
  const code = el.codes[1];
  await enterCode(page, 'uk', code);
  const name = projectName(el.manifest, 'p2', 'uk');
  await page.getByRole('checkbox', { name }).check();
  const receipt = await castAndReceipt(page, 'uk');
  // the receipt names the vote, so that its code is checked in the right one
  await page.getByText(el.manifest.title.uk, { exact: true }).waitFor();
  await page.getByRole('button', { name: tr('uk', 'receipt.doneKiosk') }).click();
  // the next resident sees the welcome in the kiosk's own language, nothing of the last vote
  await page.getByRole('button', { name: tr('en', 'kiosk.start') }).waitFor();
  await checkKioskClean(page, history, [code, code.replace(/-/g, ''), receipt.short_code, receipt.commitment, name]);
  assertClean(page);
  await page.context().close();
});

test('after a period without input: a warning a touch extends, then the kiosk starts again', async () => {
  const el = data.elections.knapsack;
  const page = await newPage(browser, server);
  await enrolKiosk(page, 'knapsack', el.device, { idle: 5 });
  const history = await historyLength(page);
  await startAtKiosk(page, 'pl');
  const code = el.codes[1];
  await enterCode(page, 'pl', code);
  // the vote's title above the ballot follows the language chosen on the welcome screen
  await page.getByText(el.manifest.title.pl, { exact: true }).waitFor();
  assert.equal(await page.getByText(el.manifest.title.en, { exact: true }).count(), 0);
  const name = projectName(el.manifest, 'p1', 'pl');
  await page.getByRole('checkbox', { name }).check();
  // warned after 5 s without input; "still here" keeps the ballot
  const dialog = page.getByRole('alertdialog', { name: tr('pl', 'kiosk.idle.title') });
  await dialog.waitFor({ timeout: 9000 });
  await page.getByRole('button', { name: tr('pl', 'kiosk.idle.continue') }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.getByRole('checkbox', { name }).isChecked(), true);
  // then nothing for 5 + 5 s: back to the start, and nothing of the resident left
  await dialog.waitFor({ timeout: 9000 });
  await page.getByRole('button', { name: tr('en', 'kiosk.start') }).waitFor({ timeout: 9000 });
  await checkKioskClean(page, history, [code, code.replace(/-/g, ''), name]);
  // the ballot was never cast
  const turnout = await server.api('GET', '/v1/elections/knapsack/turnout', { token: null });
  assert.equal(turnout.body.ballots, 0);
  await page.context().close();
});

test('mistyped codes are caught on the kiosk and cost the next resident nothing', async () => {
  const el = data.elections.choose1;
  const page = await newPage(browser, server);
  await enrolKiosk(page, 'choose1', el.device);
  await startAtKiosk(page, 'en');
  // a code with its last character changed: the check symbol catches it, before any request
  const good = el.codes[2];
  const typo = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
  let sent = 0;
  page.on('request', (r) => { if (r.url().endsWith('/ballots')) sent += 1; });
  for (let i = 0; i < 8; i++) {
    await enterCode(page, 'en', typo);
    await page.getByRole('alert').filter({ hasText: tr('en', 'code.error.check') }).first().waitFor();
  }
  assert.equal(sent, 0, 'no mistyped code reached the server');
  // the same resident, or the next one, then votes at once (no back-off)
  await enterCode(page, 'en', good);
  await page.getByRole('radio', { name: projectName(el.manifest, 'p3', 'en') }).check();
  await castAndReceipt(page, 'en');
  await page.context().close();
});

test('a whole vote with the keyboard alone, focus always visible', async () => {
  const el = data.elections.ordinal;
  const page = await newPage(browser, server);
  await enrolKiosk(page, 'ordinal', el.kiosk);
  const lang = 'en';
  const name = (id) => projectName(el.manifest, id, lang);
  const press = async (locator, key = 'Enter') => { await tabTo(page, locator); await page.keyboard.press(key); };
  await press(page.getByRole('button', { name: tr(lang, 'kiosk.start') }));
  await page.getByLabel(tr(lang, 'code.label'), { exact: true }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1', 'focus moves to the new step');
  await tabTo(page, page.getByLabel(tr(lang, 'code.label'), { exact: true }));
  await page.keyboard.type(el.codes[3].toLowerCase().replace(/-/g, ' '));
  await page.keyboard.press('Enter'); // submits the form
  await press(page.getByRole('button', { name: `${tr(lang, 'ranking.add')} – ${name('p4')}` }));
  // focus stays with the project: its "move up" button in the ranking (disabled first: next one)
  await press(page.getByRole('button', { name: `${tr(lang, 'ranking.add')} – ${name('p2')}` }));
  await press(page.getByRole('button', { name: `${tr(lang, 'ranking.up')} – ${name('p2')}` }));
  await press(page.getByRole('button', { name: tr(lang, 'ballot.next') }));
  await page.getByRole('heading', { level: 1, name: tr(lang, 'review.title') }).waitFor();
  await press(page.getByRole('button', { name: tr(lang, 'review.cast') }));
  await page.getByRole('heading', { level: 1, name: tr(lang, 'receipt.title') }).waitFor();
  await press(page.getByRole('button', { name: tr(lang, 'receipt.doneKiosk') }));
  await page.getByRole('button', { name: tr(lang, 'kiosk.start') }).waitFor();
  await page.context().close();
  const { checkStored } = await import('./lib/checks.mjs');
  await checkStored(server, data, 'ordinal', [{ ranking: ['p2', 'p4'] }]);
});
