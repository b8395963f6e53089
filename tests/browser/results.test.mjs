// The results page (issue 13): before the count it shows the turnout and no count; once counted
// and certified, the winners are exactly those of `pbvote tally --db`, every check made in the
// browser (the manifest, the result, the manifest it names, the final checkpoint, the
// certification) passes, and one changed byte of the result or of the certification on its way to
// the browser turns its check to FAILED (a result that fails is not shown at all); axe-core finds
// nothing, in English and in Arabic.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkAxe } from './lib/checks.mjs';
import { OUT, PBVOTE, assertClean, newPage, useServer } from './lib/harness.mjs';
import { tr } from './lib/i18n.mjs';

const DEMO = 'warszawa-rembertow-2023';
let data;
let server;
let browser;
let manifest;

useServer(undefined, async (env) => {
  ({ data, server, browser } = env);
  manifest = (await server.api('GET', `/v1/elections/${DEMO}`, { token: null })).body.manifest;
  for (let i = 0; i < 4; i++) {
    const approvals = [manifest.projects[i].id, manifest.projects[(i * 7) % manifest.projects.length].id];
    const r = await server.api('POST', `/v1/elections/${DEMO}/ballots`, {
      token: null,
      body: { ballot: { approvals: [...new Set(approvals)] }, code: data.demo.codes[i], submission_id: randomBytes(16).toString('hex') },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
});

async function open(lang = 'en') {
  const page = await newPage(browser, server, { locale: lang === 'ar' ? 'ar' : 'en-GB' });
  await page.goto(`/results/${DEMO}`);
  await page.locator('h1').waitFor();
  await page.locator('.results-turnout').waitFor();
  return page;
}

test('before the count: the turnout, never a count', async () => {
  const page = await open();
  await page.getByText(tr('en', 'results.notCounted')).waitFor();
  assert.equal(await page.locator('.results-contest, .results-funded, .chart').count(), 0);
  assert.ok((await page.locator('.results-turnout').textContent()).includes(tr('en', 'results.ballots', { count: 4 })));
  await checkAxe(page, 'the results page before the count');
  assertClean(page);
  await page.context().close();
});

test('once counted and certified: the winners of pbvote tally, every check passed', async () => {
  for (const step of ['close', 'tally']) assert.equal((await server.api('POST', `/v1/elections/${DEMO}/${step}`)).status, 200);
  const db = join(data.dir, `${DEMO}.db`);
  const signed = (await server.api('GET', `/v1/elections/${DEMO}/result`, { token: null })).body;
  writeFileSync(join(data.dir, 'result.json'), JSON.stringify(signed.result));
  execFileSync(PBVOTE, ['certify', join(data.dir, 'result.json'), '--db', db, '--key', join(data.dir, 'office.key'), '--yes'], { stdio: 'ignore' });
  const cli = JSON.parse(execFileSync(PBVOTE, ['tally', '--db', db, '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const want = cli.winners.map((id) => manifest.projects.find((p) => p.id === id).name);
  assert.ok(want.length > 0);
  for (const lang of ['en', 'ar']) {
    const page = await open(lang);
    await page.locator('.results-trust').waitFor();
    assert.equal(await page.locator('.check-failed').count(), 0, await page.locator('.results-trust').textContent());
    assert.equal(await page.locator('.check-ok').count(), 5, 'manifest, result, names, checkpoint, certification');
    assert.deepEqual(await page.locator('.results-funded .funded-name').allTextContents(), want);
    assert.ok(await page.locator('.chart .bar-funded').count() > 0);
    // the rule in words, and each tie of the tally with the order it was given
    await page.getByText(tr(lang, 'results.rule.greedy', { score: tr(lang, 'results.score.votes') })).waitFor();
    assert.equal(await page.locator('.results-rule li').count(), cli.ties.length);
    if (lang === 'en') {
      // the CSV of every project, from the verified result: the votes and outcome of pbvote tally
      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: tr('en', 'results.download.csv') }).click();
      const csv = readFileSync(await (await download).path(), 'utf8').trim().split('\r\n');
      assert.equal(csv[0], 'contest,project,name,cost,votes,funded');
      assert.equal(csv.length - 1, cli.projects.length);
      for (const p of cli.projects) assert.ok(csv.includes(`"${DEMO}","${p.id}",${JSON.stringify(manifest.projects.find((x) => x.id === p.id).name)},${p.cost},${p.votes},${p.selected ? 1 : 0}`), p.id);
      assert.equal(await page.getByRole('link', { name: tr('en', 'results.download.result') }).getAttribute('href'), `/v1/elections/${DEMO}/result`);
      // every ballot as a pabulib file, from the public route (docs/api.md, "Public files")
      const pb = page.getByRole('link', { name: tr('en', 'results.download.pabulib') });
      assert.equal(await pb.getAttribute('href'), `/v1/elections/${DEMO}/pabulib/${DEMO}`);
      const file = await page.evaluate(async (href) => (await fetch(href)).text(), await pb.getAttribute('href'));
      assert.ok(file.startsWith('META\n') && file.includes('\nnum_votes;4\n'), file.slice(0, 200));
    }
    await checkAxe(page, `the results page, ${lang}`);
    // README.md shows it (scripts/screenshots.sh copies it to docs/images)
    await page.setViewportSize({ width: 900, height: 1100 });
    await page.screenshot({ path: `${OUT}/results-${lang}.png` });
    assertClean(page);
    await page.context().close();
  }
});

/** Open the page with the result answer changed by @change. */
async function withChanged(change) {
  const page = await newPage(browser, server);
  await page.route('**/v1/elections/*/result', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    change(body);
    await route.fulfill({ response: res, body: JSON.stringify(body) });
  });
  await page.goto(`/results/${DEMO}`);
  await page.locator('.results-trust').waitFor();
  return page;
}

/** @env with byte @at of its payload changed (@at < 0 counts from the end). */
function changeByte(env, at) {
  const b = Buffer.from(env.payload, 'base64');
  const i = at < 0 ? b.length + at : at;
  b[i] ^= 0x01;
  env.payload = b.toString('base64');
}

const failedCheck = (page) => page.locator('.check-failed').allTextContents();

for (const at of [0, 200, -2]) {
  test(`one byte of the result changed (byte ${at}): its check fails and no count is shown`, async () => {
    const page = await withChanged((body) => changeByte(body.result, at));
    const failed = await failedCheck(page);
    assert.ok(failed.some((s) => s.includes(tr('en', 'results.check.result'))), failed.join('\n'));
    assert.equal(await page.locator('.results-contest').count(), 0);
    await page.getByText(tr('en', 'results.unverified')).waitFor();
    await page.context().close();
  });
}

test('the result\'s signature changed: its check fails', async () => {
  const page = await withChanged((body) => {
    const sig = Buffer.from(body.result.signatures[0].sig, 'base64');
    sig[10] ^= 0x80;
    body.result.signatures[0].sig = sig.toString('base64');
  });
  assert.ok((await failedCheck(page)).some((s) => s.includes(tr('en', 'results.check.result'))));
  await page.context().close();
});

for (const at of [0, -2]) {
  test(`one byte of the certification changed (byte ${at}): its check fails`, async () => {
    const page = await withChanged((body) => changeByte(body.certification, at));
    const failed = await failedCheck(page);
    assert.ok(failed.some((s) => s.includes(tr('en', 'results.check.certification', { date: '' }).replace(' ()', ''))), failed.join('\n'));
    await checkAxe(page, 'the results page with a failed check');
    await page.context().close();
  });
}

test('printed: the counted results fit on one A4 page, with the address to check them', async () => {
  const page = await open('en');
  await page.locator('.results-trust').waitFor();
  await page.emulateMedia({ media: 'print' });
  await page.getByText(tr('en', 'results.printedFrom', { url: `${server.url}/results/${DEMO}` })).waitFor();
  assert.equal(await page.getByRole('link', { name: tr('en', 'results.download.csv') }).isVisible(), false, 'no download links on paper');
  assert.equal(await page.locator('.site-header').isVisible(), false);
  // what the paper shows: A4 less 10 mm margins at 96 dpi (LOOK at it)
  await page.setViewportSize({ width: 718, height: 1047 });
  await page.screenshot({ path: `${OUT}/results-print.png`, fullPage: true });
  // Chromium's own print, as a resident's "Print" makes it (A4, 10 mm margins): one page
  const pdf = await page.pdf({ format: 'A4', margin: { top: '10mm', bottom: '10mm', left: '10mm', right: '10mm' }, printBackground: false });
  writeFileSync(`${OUT}/results-print.pdf`, pdf);
  const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || [];
  assert.equal(pages.length, 1, `the notice printed on ${pages.length} pages`);
  assertClean(page);
  await page.context().close();
});
