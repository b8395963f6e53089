// The results page explains the count with this election's numbers (issue 13): Equal Shares with
// each voter's share, what each funded project cost its supporters, why an unfunded one could not
// be paid for and the Add1 completion's share, as money (never a raw fraction); the turnout of a
// vote of several contests, contest by contest, before the count and never a count.
//
// The Equal Shares election is pabulib checker's case 1 in cents (tests/unit/test_mes.c): budget
// 10.00 EUR, a = 6.00, b = 4.00, c = 4.00; ballots ab, ab, ac, c.  By hand: the share at the start
// is 10.00 / 4 = 2.50.  Add1 raises the share one currency unit (1.00 EUR) at a time from
// floor(2.50) = 2.00 (docs/rules.md): at a share s, a costs its 3 supporters 2.00 each; c is then
// affordable from s = 3.00 (v3 has s - 2.00 left, v4 s), b only from s = 4.00 (v1 and v2 have
// s - 2.00 each), where b and c tie and both are funded: 14.00 > 10.00, too much.  So the outcome
// is counted at s = 3.00: a (2.00 each), then c, which v3 pays with the 1.00 it has left and v4
// with 3.00 (the price: 1.00 + 3.00 = 4.00); b's supporters have 2 x 1.00 = 2.00 left against its
// 4.00.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkAxe } from './lib/checks.mjs';
import { OUT, assertClean, cli, newPage, openVote, useServer } from './lib/harness.mjs';
import { tr } from './lib/i18n.mjs';

// an amount as the page writes a price (two decimals) and a cost (none when whole)
const EUR = (lang, minor) => new Intl.NumberFormat(lang, { style: 'currency', currency: 'EUR', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(minor / 100);
const COST = (lang, minor) => new Intl.NumberFormat(lang, { style: 'currency', currency: 'EUR', minimumFractionDigits: minor % 100 ? 2 : 0, maximumFractionDigits: 2 }).format(minor / 100);
const P = (id, cost, en, pl) => ({ id, cost, name: { en, pl, uk: en, ar: en } });
const MES = {
  type: 'pbvote.manifest/v1',
  id: 'shares',
  title: { en: 'Equal shares 2026', pl: 'Równe udziały 2026', uk: 'Equal shares 2026', ar: 'Equal shares 2026' },
  currency: 'EUR',
  scale: 2,
  budget: 1000,
  web_voting: true,
  projects: [P('a', 600, 'Allotments', 'Ogródki'), P('b', 400, 'Benches', 'Ławki'), P('c', 400, 'Crossing', 'Przejście')],
  ballot: { type: 'approval' },
  rule: { name: 'equalshares', tie_break: 'cost-then-votes' },
};
const TWO = {
  type: 'pbvote.manifest/v1',
  id: 'two',
  title: { en: 'Two districts 2026', pl: 'Dwie dzielnice 2026' },
  currency: 'EUR',
  scale: 2,
  web_voting: true,
  contests: [
    { id: 'east', title: { en: 'East district', pl: 'Dzielnica Wschód' }, budget: 1000, projects: [P('e1', 500, 'Trees', 'Drzewa')], ballot: { type: 'approval' }, rule: { name: 'greedy', tie_break: 'lexico' } },
    { id: 'west', title: { en: 'West district', pl: 'Dzielnica Zachód' }, budget: 1000, projects: [P('w1', 500, 'Lamps', 'Latarnie')], ballot: { type: 'approval' }, rule: { name: 'greedy', tie_break: 'lexico' } },
  ],
};

let data;
let server;
let browser;
const codes = {};

useServer(undefined, async (env) => {
  ({ data, server, browser } = env);
  const cast = async (id, code, body) => {
    const r = await server.api('POST', `/v1/elections/${id}/ballots`, { token: null, body: { ...body, code, submission_id: randomBytes(16).toString('hex') } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  for (const [i, ballot] of [['a', 'b'], ['a', 'b'], ['a', 'c'], ['c']].entries()) await cast('shares', codes.shares[i], { ballot: { approvals: ballot } });
  await cast('two', codes.east[0], { ballots: { east: { approvals: ['e1'] } } });
  await cast('two', codes.east[1], { ballots: { east: { approvals: [] } } });
  await cast('two', codes.west[0], { ballots: { west: { approvals: ['w1'] } } });
}, {
  manifests: {}, // the demo only: its keys sign the votes made here
  prepare: (d) => {
    const key = join(d.dir, 'engine.key');
    for (const m of [MES, TWO]) openVote(d, m);
    codes.shares = cli('codes', 'issue', '--db', join(d.dir, 'shares.db'), '--key', key, '--count', '5').split('\n');
    codes.east = cli('codes', 'issue', '--db', join(d.dir, 'two.db'), '--key', key, '--count', '3', '--contest', 'east').split('\n');
    codes.west = cli('codes', 'issue', '--db', join(d.dir, 'two.db'), '--key', key, '--count', '2', '--contest', 'west').split('\n');
  },
});

async function open(id, lang = 'en') {
  const page = await newPage(browser, server, { locale: lang === 'en' ? 'en-GB' : lang });
  await page.goto(`/results/${id}`);
  await page.locator('.results-turnout').waitFor();
  return page;
}

test('a vote of several contests before the count: the ballots of each contest, never a count', async () => {
  for (const lang of ['en', 'pl']) {
    const page = await open('two', lang);
    await page.getByText(tr(lang, 'results.notCounted')).waitFor();
    await page.getByRole('heading', { name: tr(lang, 'results.byContestHeading') }).waitFor();
    const rows = await page.getByRole('list').filter({ hasText: lang === 'en' ? 'East district' : 'Dzielnica Wschód' }).getByRole('listitem').allTextContents();
    assert.deepEqual(rows, lang === 'en'
      ? [tr('en', 'results.byContest', { title: 'East district', count: 2 }), tr('en', 'results.byContest', { title: 'West district', count: 1 })]
      : [tr('pl', 'results.byContest', { title: 'Dzielnica Wschód', count: 2 }), tr('pl', 'results.byContest', { title: 'Dzielnica Zachód', count: 1 })]);
    await page.getByText(tr(lang, 'results.codes', { issued: 5, spent: 3 })).waitFor();
    assert.equal(await page.locator('.results-contest, .results-funded, .chart').count(), 0);
    await checkAxe(page, `turnout by contest, ${lang}`);
    assertClean(page);
    await page.context().close();
  }
});

test('equal shares in plain words: the shares, what each project cost its supporters, why one was not funded', async () => {
  for (const step of ['close', 'tally']) assert.equal((await server.api('POST', `/v1/elections/shares/${step}`)).status, 200);
  for (const lang of ['en', 'pl']) {
    const page = await open('shares', lang);
    await page.locator('.results-trust').waitFor();
    assert.equal(await page.locator('.check-failed').count(), 0);
    const name = (id) => MES.projects.find((p) => p.id === id).name[lang];
    await page.getByText(tr(lang, 'results.rule.equalshares', { voters: 4, share: EUR(lang, 250) })).waitFor();
    const items = await page.locator('.results-explain li').allTextContents();
    assert.deepEqual(items, [
      tr(lang, 'results.mes.paid', { project: name('a'), cost: COST(lang, 600), supporters: 3, price: EUR(lang, 200) }),
      tr(lang, 'results.mes.paid', { project: name('c'), cost: COST(lang, 400), supporters: 2, price: EUR(lang, 300) }),
      tr(lang, 'results.mes.unaffordable', { project: name('b'), cost: COST(lang, 400), left: EUR(lang, 200) }),
      tr(lang, 'results.mes.completion', { share: EUR(lang, 300) }),
    ]);
    const words = (await page.locator('.results-rule, .results-explain').allTextContents()).join('\n');
    assert.ok(!/\d\/\d/.test(words), `no raw fraction in the explanation: ${words}`);
    await checkAxe(page, `equal shares explained, ${lang}`);
    await page.setViewportSize({ width: 900, height: 1300 });
    await page.screenshot({ path: `${OUT}/results-equalshares-${lang}.png`, fullPage: true });
    assertClean(page);
    await page.context().close();
  }
});
