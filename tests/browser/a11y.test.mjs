// Accessibility (WCAG 2.2 AA): axe-core finds nothing on any screen in any language; at 200 %
// text and at 320 CSS pixels wide (400 % zoom) nothing is cut off or scrolls sideways; every
// target is at least 44 px; the larger-text and high-contrast switches pass too.  Screenshots of
// the screens in left-to-right and right-to-left languages go to the build folder (README.md's
// come from here: scripts/screenshots.sh).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAxe, checkReflow, checkTargets } from './lib/checks.mjs';
import { OUT, assertClean, enrolKiosk, newPage, useServer } from './lib/harness.mjs';
import { LANGS, tr } from './lib/i18n.mjs';
import { enterCode, projectName, startAtKiosk } from './lib/vote.mjs';

let data;
let server;
let browser;

useServer(40, (env) => {
  ({ data, server, browser } = env);
});

let codeIndex = 0;
/**
 * Visit every screen a resident and the staff see, in @lang, calling @check(page, name) on each:
 * home, a vote's code step (with an error too), not found, kiosk setup (with errors), welcome,
 * each ballot widget (with a refusal shown), the review, the offline state, the receipt, the
 * inactivity warning.
 */
async function everyScreen(lang, check, options = {}) {
  const page = await newPage(browser, server, { locale: lang, ...options });
  const at = (name) => check(page, `${name} (${lang})`);
  await page.goto('/');
  await page.getByRole('heading', { level: 1, name: tr(lang, 'home.title') }).waitFor();
  await at('home');
  await page.goto('/vote/knapsack');
  await page.getByText(tr(lang, 'reason.web')).waitFor();
  await at('a vote without web voting');
  await page.goto('/vote/warszawa-rembertow-2023');
  await page.getByLabel(tr(lang, 'code.label'), { exact: true }).waitFor();
  await at('code');
  await enterCode(page, lang, 'ABC');
  await page.getByRole('heading', { name: tr(lang, 'error.summary') }).waitFor();
  await at('code with an error');
  await page.goto('/nowhere');
  await page.getByRole('heading', { level: 1, name: tr(lang, 'notfound.title') }).waitFor();
  await at('not found');
  await page.goto('/kiosk');
  await page.getByRole('button', { name: tr(lang, 'kiosk.setup.submit') }).click();
  await page.getByRole('heading', { name: tr(lang, 'error.summary') }).waitFor();
  await at('kiosk setup with errors');
  for (const id of ['knapsack', 'cumulative', 'ordinal']) {
    const el = data.elections[id];
    await page.evaluate(() => localStorage.clear());
    await page.goto('/kiosk');
    await page.getByLabel(tr(lang, 'kiosk.setup.election'), { exact: true }).selectOption(id);
    await page.getByLabel(tr(lang, 'kiosk.setup.token'), { exact: true }).fill(el.kiosk);
    await page.getByLabel(tr(lang, 'kiosk.setup.idle'), { exact: true }).fill('5');
    await page.getByRole('button', { name: tr(lang, 'kiosk.setup.submit') }).click();
    await page.getByRole('button', { name: tr(lang, 'kiosk.start') }).waitFor();
    if (id === 'knapsack') await at('kiosk welcome');
    await page.getByRole('button', { name: tr(lang, 'kiosk.start') }).click();
    await enterCode(page, lang, el.codes[codeIndex++]);
    const name = (pid) => projectName(el.manifest, pid, lang);
    if (id === 'knapsack') {
      await page.getByRole('checkbox', { name: name('p1') }).check();
      await page.getByRole('checkbox', { name: name('p2') }).check();
      await page.getByRole('checkbox', { name: name('p3') }).click(); // refused: the reason shows
      await at('approval ballot with a refusal');
    } else if (id === 'cumulative') {
      await page.getByRole('button', { name: tr(lang, 'points.more', { name: name('p2') }) }).click();
      await at('points ballot');
    } else {
      await page.getByRole('button', { name: `${tr(lang, 'ranking.add')} – ${name('p2')}` }).click();
      await page.getByRole('button', { name: `${tr(lang, 'ranking.add')} – ${name('p1')}` }).click();
      await at('ranking ballot');
      await page.getByRole('button', { name: tr(lang, 'ballot.next') }).click();
      await page.getByRole('heading', { level: 1, name: tr(lang, 'review.title') }).waitFor();
      await at('review');
      await page.context().setOffline(true);
      await page.getByRole('button', { name: tr(lang, 'review.cast') }).click();
      await page.getByRole('heading', { name: tr(lang, 'cast.offlineTitle') }).waitFor();
      await at('offline while casting');
      await page.context().setOffline(false);
      await page.getByRole('heading', { level: 1, name: tr(lang, 'receipt.title') }).waitFor();
      await page.getByRole('img', { name: tr(lang, 'receipt.qr') }).waitFor();
      await at('receipt');
      await page.getByRole('alertdialog').waitFor({ timeout: 9000 });
      await at('inactivity warning');
    }
  }
  assertClean(page);
  await page.context().close();
}

for (const lang of LANGS) {
  test(`axe-core and 44 px targets on every screen in ${lang}`, async () => {
    await everyScreen(lang, async (page, what) => {
      await checkAxe(page, what);
      await checkTargets(page, what);
    });
  });
}

test('larger text and high contrast switched on: axe-core on every screen (en)', async () => {
  await everyScreen('en', async (page, what) => {
    for (const name of [tr('en', 'settings.largeText'), tr('en', 'settings.contrast')]) {
      const button = page.getByRole('button', { name });
      if ((await button.getAttribute('aria-pressed')) !== 'true') await button.click();
    }
    await checkAxe(page, `${what}, larger text and high contrast`);
  });
});

for (const lang of ['en', 'ar']) {
  test(`text at 200 % and 320 px wide lose nothing (${lang})`, async () => {
    await everyScreen(lang, async (page, what) => {
      await page.evaluate(() => { document.documentElement.style.fontSize = '225%'; }); // 200 % of 112.5 %
      await checkReflow(page, `${what} at 200 % text`);
      await page.evaluate(() => { document.documentElement.style.fontSize = ''; });
    });
    await everyScreen(lang, (page, what) => checkReflow(page, `${what} at 320 px`), { viewport: { width: 320, height: 640 } });
  });
}

test('screenshots: the voting page and the receipt, left to right and right to left', async () => {
  for (const lang of ['en', 'ar']) {
    const el = data.elections.knapsack;
    // a kiosk set up in English; the resident picks a language on the welcome screen
    const page = await newPage(browser, server, { viewport: { width: 900, height: 1000 } });
    await enrolKiosk(page, 'knapsack', el.kiosk);
    await startAtKiosk(page, lang);
    await enterCode(page, lang, el.codes[codeIndex++]);
    await page.getByRole('checkbox', { name: projectName(el.manifest, 'p1', lang) }).check();
    await page.getByRole('checkbox', { name: projectName(el.manifest, 'p4', lang) }).check();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${OUT}/voting-${lang}.png` });
    await page.getByRole('button', { name: tr(lang, 'ballot.next') }).click();
    await page.getByRole('button', { name: tr(lang, 'review.cast') }).click();
    await page.getByRole('img', { name: tr(lang, 'receipt.qr') }).waitFor();
    await page.screenshot({ path: `${OUT}/receipt-${lang}.png`, fullPage: true });
    // printed (a kiosk's receipt printer): the receipt alone, no header, buttons or settings
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.getByRole('button', { name: tr(lang, 'receipt.print') }).isVisible(), false);
    assert.equal(await page.getByLabel(tr(lang, 'settings.language'), { exact: true }).isVisible(), false);
    assert.equal(await page.getByRole('img', { name: tr(lang, 'receipt.qr') }).isVisible(), true);
    assert.equal(await page.locator('.receipt-line').getByText(/\S{10}/).isVisible(), true);
    await page.screenshot({ path: `${OUT}/receipt-print-${lang}.png`, fullPage: true });
    await page.context().close();
  }
});
