// Negative controls: the checks the other browser tests rely on fail when the page is broken.
// Each test breaks one thing in the served page (rewriting an asset on its way to the browser,
// after making sure the text to break is there) and expects the matching check to fail.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAxe, checkKioskClean, checkReflow, checkStored, checkTargets, historyLength, tabTo } from './lib/checks.mjs';
import { enrolKiosk, newPage, useServer } from './lib/harness.mjs';
import { tables, tr } from './lib/i18n.mjs';
import { castAndReceipt, enterCode, projectName, startAtKiosk } from './lib/vote.mjs';
import { translationProblems } from './i18n.test.mjs';

let data;
let server;
let browser;

useServer(8, (env) => {
  ({ data, server, browser } = env);
});

/** Serve @file (a path under the build's assets) with each [from, to] of @edits applied. */
async function breakAsset(page, file, ...edits) {
  await page.route(`**/assets/*/${file}`, async (route) => {
    const res = await route.fetch();
    let body = await res.text();
    for (const [from, to] of edits) {
      assert.ok(body.includes(from), `${file} holds the text this control breaks: ${from}`);
      body = body.split(from).join(to);
    }
    await route.fulfill({ response: res, body });
  });
}

test('a missing translation or plural form is found', () => {
  const en = tables().en;
  const pl = structuredClone(tables().pl);
  delete pl['review.cast'];
  delete pl['ballot.count'].few;
  pl['budget.left'] = 'Zostało';
  const problems = translationProblems('pl', pl, en);
  assert.ok(problems.some((p) => p.includes('review.cast is missing')));
  assert.ok(problems.some((p) => p.includes('ballot.count has no "few" form')));
  assert.ok(problems.some((p) => p.includes('budget.left has {}')));
});

test('axe-core finds an unlabelled voter-code field', async () => {
  const page = await newPage(browser, server);
  await breakAsset(page, 'js/flow.js', ["h('label', { for: 'code',", "h('span', { 'data-for': 'code',"]);
  await page.goto('/vote/warszawa-rembertow-2023');
  await page.locator('#code').waitFor();
  await assert.rejects(checkAxe(page, 'broken code step'), /label/);
  await page.context().close();
});

test('the stored-ballot check finds a ballot that is not what was chosen', async () => {
  const el = data.elections.approval;
  const page = await newPage(browser, server);
  // the page sends only the first of the projects chosen
  await breakAsset(page, 'js/widgets/approval.js', ['.map((p) => p.id) };', '.map((p) => p.id).slice(0, 1) };']);
  await enrolKiosk(page, 'approval', el.kiosk);
  await startAtKiosk(page, 'en');
  await enterCode(page, 'en', el.codes[0]);
  await page.getByRole('checkbox', { name: projectName(el.manifest, 'p1', 'en') }).check();
  await page.getByRole('checkbox', { name: projectName(el.manifest, 'p2', 'en') }).check();
  await castAndReceipt(page, 'en');
  await page.context().close();
  await assert.rejects(checkStored(server, data, 'approval', [{ approvals: ['p1', 'p2'] }]), /ballots stored/);
});

test('a kiosk that does not reload after the vote fails the privacy check', async () => {
  const el = data.elections.knapsack;
  const page = await newPage(browser, server);
  // "finish" goes back to the welcome step inside the same page instead of loading it anew
  await breakAsset(page, 'js/flow.js', ['if (kiosk) kiosk.finish();', "if (kiosk) { state.step = 'welcome'; render(); return; }"]);
  await enrolKiosk(page, 'knapsack', el.kiosk);
  const history = await historyLength(page);
  await startAtKiosk(page, 'en');
  const code = el.codes[2];
  await enterCode(page, 'en', code);
  await page.getByRole('checkbox', { name: projectName(el.manifest, 'p5', 'en') }).check();
  const receipt = await castAndReceipt(page, 'en');
  await page.getByRole('button', { name: tr('en', 'receipt.doneKiosk') }).click();
  await page.getByRole('button', { name: tr('en', 'kiosk.start') }).waitFor();
  await assert.rejects(checkKioskClean(page, history, [code, receipt.short_code]), /a fresh page/);
  await page.context().close();
});

test('a kiosk that keeps the last code in storage fails the privacy check', async () => {
  const el = data.elections.knapsack;
  const page = await newPage(browser, server);
  await breakAsset(page, 'js/flow.js', ['      state.code = r.code;', "      state.code = r.code;\n      localStorage.setItem('pbvote.last', r.code);"]);
  await enrolKiosk(page, 'knapsack', el.kiosk);
  const history = await historyLength(page);
  await startAtKiosk(page, 'en');
  await enterCode(page, 'en', el.codes[3]);
  await page.getByRole('checkbox', { name: projectName(el.manifest, 'p4', 'en') }).check();
  await castAndReceipt(page, 'en');
  await page.getByRole('button', { name: tr('en', 'receipt.doneKiosk') }).click();
  await page.getByRole('button', { name: tr('en', 'kiosk.start') }).waitFor();
  await assert.rejects(checkKioskClean(page, history, []), /only the enrolment/);
  await page.context().close();
});

test('a retry with a new submission id is caught: the vote is refused as spent, no receipt', async () => {
  const el = data.elections.choose1;
  const page = await newPage(browser, server);
  await breakAsset(page, 'js/api.js',
    ['  for (;;) {\n    onState', '  for (;;) {\n    body = JSON.stringify({ ballot, code, submission_id: newSubmissionId() });\n    onState'],
    ['  const body = JSON.stringify({ ballot, code, submission_id: submissionId });', "  let body = '';"]);
  await enrolKiosk(page, 'choose1', el.kiosk);
  await startAtKiosk(page, 'en');
  await enterCode(page, 'en', el.codes[0]);
  await page.getByRole('radio', { name: projectName(el.manifest, 'p1', 'en') }).check();
  let first = true;
  await page.route('**/ballots', async (route) => {
    if (first) {
      first = false;
      await route.fetch();
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });
  await page.getByRole('button', { name: tr('en', 'ballot.next') }).click();
  await page.getByRole('button', { name: tr('en', 'review.cast') }).click();
  // what cast.test.mjs expects (the receipt) never comes: the code is spent by the lost ballot
  await page.getByRole('alert').filter({ hasText: tr('en', 'reason.code_spent') }).first().waitFor();
  assert.equal(await page.getByRole('heading', { level: 1, name: tr('en', 'receipt.title') }).count(), 0);
  await page.context().close();
});

test('a control the keyboard cannot reach is found', async () => {
  const el = data.elections.knapsack;
  const page = await newPage(browser, server);
  await breakAsset(page, 'js/widgets/approval.js', ["class: l.one ? 'radio' : 'checkbox',", "class: l.one ? 'radio' : 'checkbox', tabindex: '-1',"]);
  await enrolKiosk(page, 'knapsack', el.kiosk);
  await startAtKiosk(page, 'en');
  await enterCode(page, 'en', el.codes[4]);
  await assert.rejects(tabTo(page, page.getByRole('checkbox', { name: projectName(el.manifest, 'p1', 'en') }), { max: 60 }), /never reached/);
  await page.context().close();
});

test('an invisible focus is found', async () => {
  const page = await newPage(browser, server);
  await breakAsset(page, 'css/app.css', [':focus-visible {', ':focus-visible { outline: none !important; box-shadow: none !important; } .unused {']);
  await page.goto('/vote/warszawa-rembertow-2023');
  await assert.rejects(tabTo(page, page.getByLabel(tr('en', 'code.label'), { exact: true })), /focus is visible/);
  await page.context().close();
});

test('small targets and a page wider than the screen are found', async () => {
  const page = await newPage(browser, server, { viewport: { width: 320, height: 640 } });
  await breakAsset(page, 'css/app.css', ['--target: 2.75rem;', '--target: 1rem;'], ['.main {\n', '.main {\n  min-inline-size: 40rem;\n']);
  await page.goto('/vote/warszawa-rembertow-2023');
  await page.getByLabel(tr('en', 'code.label'), { exact: true }).waitFor();
  await assert.rejects(checkTargets(page, 'broken'), /targets under 44 px/);
  await assert.rejects(checkReflow(page, 'broken'), /scrolls sideways/);
  await page.context().close();
});
