// A whole vote for every ballot type through the UI only (roles and names a person sees, each in
// another language), on a kiosk: the receipt shown is the server's, and the ballot stored (read
// back from the audit bundle) is exactly what was chosen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkStored } from './lib/checks.mjs';
import { assertClean, enrolKiosk, newPage, useServer } from './lib/harness.mjs';
import { tr } from './lib/i18n.mjs';
import { castAndReceipt, enterCode, projectName, refused, startAtKiosk } from './lib/vote.mjs';

let data;
let server;
let browser;
const expected = {};

useServer(undefined, (env) => {
  ({ data, server, browser } = env);
});

async function kioskVote(id, lang, choose) {
  const el = data.elections[id];
  const page = await newPage(browser, server);
  await enrolKiosk(page, id, el.kiosk);
  await startAtKiosk(page, lang);
  await enterCode(page, lang, el.codes[0]);
  const ballot = await choose(page, el.manifest, lang);
  const receipt = await castAndReceipt(page, lang);
  assert.equal(receipt.election, id);
  expected[id] = [ballot];
  assertClean(page);
  await page.context().close();
  const turnout = await server.api('GET', `/v1/elections/${id}/turnout`, { token: null });
  assert.equal(turnout.body.ballots, 1);
}

test('knapsack approval in English: the budget meter refuses what does not fit, and says why', async () => {
  await kioskVote('knapsack', 'en', async (page, m, lang) => {
    const name = (id) => projectName(m, id, lang);
    await page.getByRole('checkbox', { name: name('p1') }).check();
    await page.getByRole('checkbox', { name: name('p2') }).check();
    await page.getByText('Left: €100,000', { exact: true }).waitFor();
    // the pool (300,000) does not fit in the 100,000 left: refused at once, with the reason
    await page.getByRole('checkbox', { name: name('p3') }).click();
    assert.equal(await page.getByRole('checkbox', { name: name('p3') }).isChecked(), false);
    await refused(page, page.getByRole('checkbox', { name: name('p3') }), tr(lang, 'budget.noFit', { name: name('p3'), cost: '€300,000', left: '€100,000' }));
    await page.getByRole('checkbox', { name: name('p4') }).check();
    return { approvals: ['p1', 'p2', 'p4'] };
  });
});

test('approval (at most 2) in Polish: a third pick is refused with the reason', async () => {
  await kioskVote('approval', 'pl', async (page, m, lang) => {
    const name = (id) => projectName(m, id, lang);
    await page.getByRole('checkbox', { name: name('p5') }).check();
    await page.getByRole('checkbox', { name: name('p3') }).check();
    await page.getByRole('checkbox', { name: name('p1') }).click();
    assert.equal(await page.getByRole('checkbox', { name: name('p1') }).isChecked(), false);
    await refused(page, page.getByRole('checkbox', { name: name('p1') }), tr(lang, 'ballot.tooMany', { count: 2, name: name('p1') }));
    return { approvals: ['p3', 'p5'] };
  });
});

test('choose-1 in Ukrainian: radio buttons, one project', async () => {
  await kioskVote('choose1', 'uk', async (page, m, lang) => {
    const name = (id) => projectName(m, id, lang);
    await page.getByRole('radio', { name: name('p2') }).check();
    await page.getByRole('radio', { name: name('p4') }).check();
    assert.equal(await page.getByRole('radio', { name: name('p2') }).isChecked(), false);
    return { approvals: ['p4'] };
  });
});

test('cumulative in Arabic: points left, the cap per project and in total', async () => {
  await kioskVote('cumulative', 'ar', async (page, m, lang) => {
    const name = (id) => projectName(m, id, lang);
    const field = (id) => page.getByRole('spinbutton', { name: `${tr(lang, 'points.label')} ${name(id)}` });
    await field('p1').fill('9'); // over the 6 a project may have: cut back, and said why
    await field('p1').press('Tab');
    assert.equal(await field('p1').inputValue(), '6');
    await refused(page, field('p1'), tr(lang, 'points.perProjectCap', { count: 6, name: name('p1') }));
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: tr(lang, 'points.more', { name: name('p3') }) }).click();
    await page.getByText(tr(lang, 'points.left', { count: 1 }), { exact: true }).waitFor();
    await field('p5').fill('4'); // only 1 left: cut back to 1
    await field('p5').press('Tab');
    assert.equal(await field('p5').inputValue(), '1');
    await refused(page, field('p5'), tr(lang, 'points.totalCap', { count: 10, allowed: 1, name: name('p5') }));
    return { points: { p1: 6, p3: 3, p5: 1 } };
  });
});

test('scoring in English: a score for some projects', async () => {
  await kioskVote('scoring', 'en', async (page, m, lang) => {
    const name = (id) => projectName(m, id, lang);
    const field = (id) => page.getByRole('spinbutton', { name: `${tr(lang, 'score.label')} ${name(id)}` });
    await field('p2').fill('5');
    await field('p2').press('Tab');
    await field('p4').fill('0');
    await field('p4').press('Tab');
    await page.getByRole('button', { name: tr(lang, 'points.more', { name: name('p1') }) }).click();
    await page.getByRole('button', { name: tr(lang, 'points.more', { name: name('p1') }) }).click();
    return { points: { p1: 1, p2: 5, p4: 0 } };
  });
});

test('ranking in Polish: added, moved up with the keyboard and by dragging', async () => {
  await kioskVote('ordinal', 'pl', async (page, m, lang) => {
    const name = (id) => projectName(m, id, lang);
    const button = (key, id) => page.getByRole('button', { name: `${tr(lang, key)} – ${name(id)}` });
    await button('ranking.add', 'p1').click();
    await button('ranking.add', 'p2').click();
    await button('ranking.add', 'p5').click();
    await button('ranking.add', 'p3').click(); // full: refused, with the reason
    await refused(page, button('ranking.add', 'p3'), tr(lang, 'ranking.full', { count: 3 }));
    // keyboard: focus "move up" of p5 and press Enter twice (focus follows the project)
    await button('ranking.up', 'p5').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    const order = () => page.locator('.ranked-list > li').evaluateAll((els) => els.map((e) => e.dataset.id));
    assert.deepEqual(await order(), ['p5', 'p1', 'p2']);
    // mouse: drag p2 onto the first place
    const row = (id) => page.getByRole('listitem').filter({ has: button('ranking.up', id) });
    await row('p2').locator('[aria-hidden=true]').first().dragTo(row('p5'));
    assert.deepEqual(await order(), ['p2', 'p5', 'p1']);
    return { ranking: ['p2', 'p5', 'p1'] };
  });
});

test('every ballot stored is exactly what was chosen (the audit bundle)', async () => {
  for (const id of Object.keys(data.elections)) {
    assert.ok(expected[id], `a vote was cast in ${id}`);
    await checkStored(server, data, id, expected[id]);
  }
});
