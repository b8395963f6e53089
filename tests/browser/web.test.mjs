// Voting from home (channel web): the start page links to the votes that allow it, a resident
// votes on pbvote's own page with a demo code alone, in the language the browser asks for or the
// one picked on the page; the projects come in an order of the voter's own, from the published
// seed; a vote without web voting says so before any ballot is filled.  The ballots stored came
// by the web, and the bundle verifies offline.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { checkStored } from './lib/checks.mjs';
import { assertClean, enrolKiosk, newPage, useServer } from './lib/harness.mjs';
import { tr } from './lib/i18n.mjs';
import { castAndReceipt, enterCode } from './lib/vote.mjs';

const DEMO = 'warszawa-rembertow-2023';
let data;
let server;
let browser;
let manifest;

useServer(undefined, async (env) => {
  ({ data, server, browser } = env);
  manifest = (await server.api('GET', `/v1/elections/${DEMO}`, { token: null })).body.manifest;
});

/** The order docs/pages.md defines: projects by SHA-256("pbv/order/v1\0" seed "\0" code "\0" id). */
function expectedOrder(code) {
  const key = (id) => createHash('sha256').update(`pbv/order/v1\0${manifest.order.seed}\0${code}\0${id}`).digest('hex');
  return manifest.projects.filter((p) => !p.withdrawn).map((p) => [key(p.id), p.id]).sort().map(([, id]) => id);
}

async function shownOrder(page) {
  return page.getByRole('checkbox').evaluateAll((els) => els.map((e) => e.value));
}

const chosen = [];

test('the start page links to the vote that takes votes from home; the others say where to vote', async () => {
  const page = await newPage(browser, server);
  await page.goto('/');
  await page.getByRole('heading', { level: 1, name: tr('en', 'home.title') }).waitFor();
  const vote = page.getByRole('link', { name: tr('en', 'home.vote') });
  assert.deepEqual(await vote.evaluateAll((as) => as.map((a) => a.getAttribute('href')).sort()), ['/vote/approval', `/vote/${DEMO}`]);
  assert.equal(await page.getByText(tr('en', 'home.kioskOnly')).count(), Object.keys(data.elections).length - 1);
  await page.context().close();
});

test('a resident votes from home in Polish (the browser asks for it), with a demo code alone', async () => {
  const page = await newPage(browser, server, { locale: 'pl-PL' });
  await page.goto('/');
  // the link is "Vote", described by its election's title
  await page.getByRole('link', { name: tr('pl', 'home.vote'), description: manifest.title }).click();
  const code = data.demo.codes[0];
  await enterCode(page, 'pl', code.toLowerCase());
  const order = await shownOrder(page);
  assert.deepEqual(order, expectedOrder(code), 'the shuffled order of docs/pages.md');
  assert.notDeepEqual(order, manifest.projects.map((p) => p.id), 'not the file order');
  const picks = [order[0], order[5]];
  for (const id of picks) await page.getByRole('checkbox', { name: manifest.projects.find((p) => p.id === id).name }).check();
  const receipt = await castAndReceipt(page, 'pl');
  assert.equal(receipt.election, DEMO);
  chosen.push({ approvals: picks });
  assertClean(page);
  await page.context().close();
});

test('another resident picks Ukrainian on the page; another code, another order', async () => {
  const page = await newPage(browser, server, { locale: 'en-GB' });
  await page.goto(`/vote/${DEMO}`);
  await page.getByRole('button', { name: 'Українська', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: tr('uk', 'code.title') }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'uk');
  const code = data.demo.codes[1];
  await enterCode(page, 'uk', code);
  const order = await shownOrder(page);
  assert.deepEqual(order, expectedOrder(code));
  assert.notDeepEqual(order, expectedOrder(data.demo.codes[0]));
  await page.getByRole('checkbox', { name: manifest.projects.find((p) => p.id === order[2]).name }).check();
  await castAndReceipt(page, 'uk');
  chosen.push({ approvals: [order[2]] });
  await page.context().close();
});

test("a project's picture (from this server) and link (in the page's language, not on a kiosk)", async () => {
  const page = await newPage(browser, server, { locale: 'pl-PL' });
  // pbvote serves no pictures: the reverse proxy does; here the test stands in for it
  await page.route('**/media/p1.svg', (route) => route.fulfill({ contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#3a3"/></svg>' }));
  await page.goto('/vote/approval');
  await enterCode(page, 'pl', data.elections.approval.codes[6]);
  const link = page.getByRole('link', { name: tr('pl', 'project.more', { name: 'Drzewa na ulicy Głównej' }) });
  assert.equal(await link.getAttribute('href'), 'https://city.example/pl/p1');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  const img = page.locator('li.project[data-id="p1"] img');
  assert.equal(await img.getAttribute('src'), '/media/p1.svg');
  await page.waitForFunction(() => document.querySelector('li.project[data-id="p1"] img')?.naturalWidth === 40);
  await page.context().close();
  // on a kiosk: no link out of the vote
  const kiosk = await newPage(browser, server);
  await enrolKiosk(kiosk, 'approval', data.elections.approval.kiosk);
  await kiosk.getByRole('button', { name: tr('en', 'kiosk.start') }).click();
  await enterCode(kiosk, 'en', data.elections.approval.codes[7]);
  await kiosk.getByRole('checkbox', { name: 'Trees on Main Street' }).waitFor();
  assert.equal(await kiosk.getByRole('link', { name: tr('en', 'project.more', { name: 'Trees on Main Street' }) }).count(), 0);
  await kiosk.context().close();
});

test('a code scanned from a card comes in the link, and leaves the address at once', async () => {
  const page = await newPage(browser, server);
  const code = data.demo.codes[2];
  await page.goto(`/vote/${DEMO}#code=${encodeURIComponent(code)}`);
  const field = page.getByLabel(tr('en', 'code.label'), { exact: true });
  await field.waitFor();
  assert.equal(await field.inputValue(), code);
  assert.equal(new URL(page.url()).hash, '', 'the code is not in the address');
  await page.context().close();
});

test('a vote that does not take votes from home says so before any ballot', async () => {
  const page = await newPage(browser, server, { locale: 'ar' });
  await page.goto('/vote/knapsack');
  await page.getByText(tr('ar', 'reason.web')).waitFor();
  assert.equal(await page.getByLabel(tr('ar', 'code.label'), { exact: true }).count(), 0);
  await page.context().close();
});

test('the ballots stored came by the web, exactly as chosen, and the bundle verifies', async () => {
  const turnout = await server.api('GET', `/v1/elections/${DEMO}/turnout`, { token: null });
  assert.equal(turnout.body.by_channel.web, 2);
  await checkStored(server, data, DEMO, chosen, 'web');
});
