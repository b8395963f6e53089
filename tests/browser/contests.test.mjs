// A vote of several contests (issues 12 and 14): a city-wide contest (optional) and two districts,
// voter codes for the city and one district.  A resident votes from home in English in both
// contests of their code, and another at a kiosk in Polish skips the optional city-wide contest:
// one ballot per contest, each with its own widget, title and limits; the review lists every
// contest; one cast, one receipt.  The ballots read back from the audit bundle (which `pbvote
// verify` accepts) are what was chosen, contest by contest; axe-core finds nothing on the new
// screens; screenshots of them go to the build folder.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkAxe } from './lib/checks.mjs';
import { OUT, assertClean, cli, enrolKiosk, exportedBallots, newPage, openVote, useServer } from './lib/harness.mjs';
import { tr, txt } from './lib/i18n.mjs';
import { enterCode, startAtKiosk } from './lib/vote.mjs';

const P = (id, cost, en, pl) => ({ id, cost, name: { en, pl } });
const METRO = {
  type: 'pbvote.manifest/v1',
  id: 'metro',
  title: { en: 'Metro budget 2026', pl: 'Budżet metropolii 2026' },
  currency: 'EUR',
  scale: 2,
  web_voting: true,
  contests: [
    {
      id: 'city', title: { en: 'City-wide projects', pl: 'Projekty ogólnomiejskie' }, optional: true, budget: 50000000,
      projects: [P('c1', 30000000, 'Tram line', 'Linia tramwajowa'), P('c2', 25000000, 'Central library', 'Biblioteka centralna'),
        P('c3', 10000000, 'River park', 'Park nad rzeką')],
      ballot: { type: 'approval', max_sum_cost: 50000000 },
      rule: { name: 'greedy', tie_break: 'lexico' },
    },
    {
      id: 'north', title: { en: 'North district', pl: 'Dzielnica Północ' }, budget: 3000000,
      projects: [P('n1', 2000000, 'Benches', 'Ławki'), P('n2', 1000000, 'Street lamps', 'Latarnie'), P('n3', 1500000, 'Footpath', 'Chodnik')],
      ballot: { type: 'cumulative', max_sum_points: 5, max_points: 3 },
      rule: { name: 'greedy', score: 'points', tie_break: 'lexico' },
    },
    {
      id: 'south', title: { en: 'South district', pl: 'Dzielnica Południe' }, budget: 5000000,
      projects: [P('s1', 3000000, 'Town square', 'Rynek'), P('s2', 2500000, 'Bike lanes', 'Ścieżki rowerowe'), P('s3', 1000000, 'Playground', 'Plac zabaw')],
      ballot: { type: 'ordinal', max_length: 2, min_length: 1 },
      rule: { name: 'greedy', score: 'borda', tie_break: 'lexico' },
    },
  ],
};

let data;
let server;
let browser;
const metro = {};
const expected = [];

const contest = (id) => METRO.contests.find((c) => c.id === id);
const title = (id, lang) => txt(contest(id).title, lang);
const name = (cid, pid, lang) => txt(contest(cid).projects.find((p) => p.id === pid).name, lang);

useServer(undefined, (env) => {
  ({ data, server, browser } = env);
}, {
  manifests: {}, // the demo only: its keys sign the vote made here
  prepare: (d) => {
    const db = openVote(d, METRO);
    const key = join(d.dir, 'engine.key');
    metro.north = cli('codes', 'issue', '--db', db, '--key', key, '--count', '3', '--contest', 'city', '--contest', 'north').split('\n');
    metro.south = cli('codes', 'issue', '--db', db, '--key', key, '--count', '3', '--contest', 'city', '--contest', 'south').split('\n');
    metro.device = cli('token', 'create', '--db', db, '--role', 'kiosk', '--device', '--label', 'town hall');
    metro.auditor = cli('token', 'create', '--db', db, '--role', 'auditor');
    d.elections = { metro: { manifest: METRO, auditor: metro.auditor } };
  },
});

/** The ballot of contest @cid is shown: its title, which ballot of @total it is. */
async function atBallot(page, lang, cid, n, total) {
  await page.getByRole('heading', { level: 1, name: title(cid, lang) }).waitFor();
  await page.getByText(tr(lang, 'contest.progress', { n, total }), { exact: true }).waitFor();
}

/** Cast from the review; the receipt the server sent, once the page shows it. */
async function castFromReview(page, lang) {
  const answer = page.waitForResponse((r) => r.url().endsWith('/ballots') && r.request().method() === 'POST' && r.ok());
  await page.getByRole('button', { name: tr(lang, 'review.cast') }).click();
  const receipt = (await (await answer).json()).receipt;
  await page.getByRole('heading', { level: 1, name: tr(lang, 'receipt.title') }).waitFor();
  await page.getByText(receipt.short_code, { exact: true }).waitFor();
  return receipt;
}

test('from home in English: a city-wide and a district ballot, each with its widget and limits, one receipt', async () => {
  const lang = 'en';
  const page = await newPage(browser, server);
  const sent = [];
  page.on('request', (r) => { if (r.method() === 'POST') sent.push(r.url().replace(server.url, '')); });
  await page.goto('/vote/metro');
  await enterCode(page, lang, metro.north[0]);
  // 1 of 2: the city-wide contest, approval within its budget; it may be skipped
  await atBallot(page, lang, 'city', 1, 2);
  await page.getByText(tr(lang, 'contest.optional')).waitFor();
  await page.getByRole('checkbox', { name: name('city', 'c1', lang) }).check();
  await page.getByRole('checkbox', { name: name('city', 'c3', lang) }).check();
  await page.getByText('Left: €100,000', { exact: true }).waitFor();
  await page.getByRole('checkbox', { name: name('city', 'c2', lang) }).click(); // over the city's budget
  assert.equal(await page.getByRole('checkbox', { name: name('city', 'c2', lang) }).isChecked(), false);
  await checkAxe(page, 'a city-wide ballot (en)');
  await page.screenshot({ path: join(OUT, 'contests-ballot-en.png'), fullPage: true });
  await page.getByRole('button', { name: tr(lang, 'contest.next') }).click();
  // 2 of 2: the district, points with its own caps; not optional: no skip
  await atBallot(page, lang, 'north', 2, 2);
  assert.equal(await page.getByRole('button', { name: tr(lang, 'contest.skip') }).count(), 0);
  const field = (pid) => page.getByRole('spinbutton', { name: `${tr(lang, 'points.label')} ${name('north', pid, lang)}` });
  await field('n1').fill('4'); // over the 3 a project may have: cut back
  await field('n1').press('Tab');
  assert.equal(await field('n1').inputValue(), '3');
  await field('n2').fill('2');
  await field('n2').press('Tab');
  await page.getByText(tr(lang, 'points.left', { count: 0 }), { exact: true }).waitFor();
  await checkAxe(page, 'a district ballot (en)');
  // back to the city-wide ballot and forth: the choices stay
  await page.getByRole('button', { name: tr(lang, 'common.back') }).click();
  await atBallot(page, lang, 'city', 1, 2);
  assert.equal(await page.getByRole('checkbox', { name: name('city', 'c3', lang) }).isChecked(), true);
  await page.getByRole('button', { name: tr(lang, 'contest.next') }).click();
  await atBallot(page, lang, 'north', 2, 2);
  assert.equal(await field('n2').inputValue(), '2');
  await page.getByRole('button', { name: tr(lang, 'ballot.next') }).click();
  // the review: every contest under its title, with its choices
  await page.getByRole('heading', { level: 1, name: tr(lang, 'review.title') }).waitFor();
  const city = page.getByRole('region', { name: title('city', lang) });
  const north = page.getByRole('region', { name: title('north', lang) });
  await city.getByText(name('city', 'c1', lang)).waitFor();
  await city.getByText(name('city', 'c3', lang)).waitFor();
  assert.equal(await city.getByText(name('city', 'c2', lang)).count(), 0);
  await north.getByText(name('north', 'n1', lang)).waitFor();
  assert.match(await north.textContent(), /3 points/);
  await north.getByRole('button', { name: tr(lang, 'contest.change', { title: title('north', lang) }) }).waitFor();
  await checkAxe(page, 'the review of two contests (en)');
  await page.screenshot({ path: join(OUT, 'contests-review-en.png'), fullPage: true });
  const receipt = await castFromReview(page, lang);
  assert.equal(receipt.election, 'metro');
  await checkAxe(page, 'the receipt of two contests (en)');
  // one question about the code, one cast
  assert.deepEqual(sent, ['/v1/elections/metro/codes/contests', '/v1/elections/metro/ballots']);
  expected.push({ channel: 'web', ballots: { city: { approvals: ['c1', 'c3'] }, north: { points: { n1: 3, n2: 2 } } } });
  assertClean(page);
  await page.context().close();
});

test('at a kiosk in Polish: a spent code is refused at once; the optional city-wide ballot skipped', async () => {
  const lang = 'pl';
  const page = await newPage(browser, server);
  await enrolKiosk(page, 'metro', metro.device);
  await startAtKiosk(page, lang);
  await enterCode(page, lang, metro.north[0]); // spent by the vote above
  await page.getByText(tr(lang, 'reason.code_spent')).first().waitFor();
  await page.getByRole('heading', { level: 1, name: tr(lang, 'code.title') }).waitFor();
  await enterCode(page, lang, metro.south[0]);
  await atBallot(page, lang, 'city', 1, 2);
  await page.getByRole('button', { name: tr(lang, 'contest.skip') }).click();
  await atBallot(page, lang, 'south', 2, 2);
  const button = (key, pid) => page.getByRole('button', { name: `${tr(lang, key)} – ${name('south', pid, lang)}` });
  await button('ranking.add', 's3').click();
  await button('ranking.add', 's1').click();
  await checkAxe(page, 'a district ranking (pl)');
  await page.screenshot({ path: join(OUT, 'contests-ballot-pl.png'), fullPage: true });
  await page.getByRole('button', { name: tr(lang, 'ballot.next') }).click();
  await page.getByRole('heading', { level: 1, name: tr(lang, 'review.title') }).waitFor();
  await page.getByRole('region', { name: title('city', lang) }).getByText(tr(lang, 'contest.skipped')).waitFor();
  const south = page.getByRole('region', { name: title('south', lang) });
  assert.deepEqual(await south.getByRole('listitem').allTextContents().then((t) => t.map((s) => s.includes(name('south', 's3', lang)))), [true, false]);
  await checkAxe(page, 'the review with a skipped contest (pl)');
  await page.screenshot({ path: join(OUT, 'contests-review-pl.png'), fullPage: true });
  await castFromReview(page, lang);
  expected.push({ channel: 'electronic', ballots: { south: { ranking: ['s3', 's1'] } } });
  assertClean(page);
  await page.context().close();
});

test('every ballot stored is what was chosen, contest by contest (the audit bundle, verified)', async () => {
  assert.equal(expected.length, 2, 'both residents voted');
  const cvrs = (await exportedBallots(server, data, 'metro')).map((c) => JSON.parse(c));
  const got = cvrs.map((c) => JSON.stringify({ channel: c.channel, election: c.election, ballots: c.ballots })).sort();
  const want = expected.map((e) => JSON.stringify({ channel: e.channel, election: 'metro', ballots: e.ballots })).sort();
  assert.deepEqual(got, want);
});
