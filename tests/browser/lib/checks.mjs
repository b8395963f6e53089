// Checks the browser tests share, each also run against a broken page by negative.test.mjs to
// show that it can fail: axe-core, the stored ballot, kiosk privacy, keyboard reach, reflow,
// touch targets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { exportedBallots } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2.0/2.1/2.2 A and AA rules on the page as it is: no violation. */
export async function checkAxe(page, what) {
  // evaluated through the DevTools protocol: the page's CSP (default-src 'self') does not apply
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    resultTypes: ['violations'],
  }));
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`);
  assert.deepEqual(found, [], `axe-core on ${what}:\n${found.join('\n')}`);
  return result;
}

/**
 * The ballots stored in election @id (read from its audit bundle after close and tally, which
 * `pbvote verify` accepts) are exactly @expected (a list of API ballots, in any order), each
 * cast through @channel.
 */
export async function checkStored(server, data, id, expected, channel = 'electronic') {
  const cvrs = (await exportedBallots(server, data, id)).map((c) => JSON.parse(c));
  for (const c of cvrs) assert.equal(c.channel, channel, `ballots of ${id} came by ${channel}`);
  const norm = (b) => JSON.stringify(b, Object.keys(b).sort());
  const got = cvrs.map((c) => JSON.stringify(c.ballot)).sort();
  const want = expected.map((b) => JSON.stringify(canonical(b))).sort();
  assert.deepEqual(got, want, `ballots stored in ${id}`);
  for (const c of cvrs) assert.equal(c.election, id);
  return norm;
}

/** A ballot as the box writes it: approvals in id byte order, points keys sorted. */
function canonical(b) {
  if (b.approvals) return { approvals: [...b.approvals].sort() };
  if (b.points) return { points: Object.fromEntries(Object.entries(b.points).sort(([a], [c]) => (a < c ? -1 : 1))) };
  return b;
}

/**
 * Nothing of a previous resident is left on a kiosk: the page is a fresh document at /kiosk, the
 * history as long as before the resident came (@history, from historyLength()), no storage but
 * the enrolment, no cookie, no cache, and none of @secrets (codes, project names chosen, receipt
 * codes) anywhere in the DOM.
 */
export async function checkKioskClean(page, history, secrets) {
  const state = await page.evaluate(async () => ({
    marked: window.pbvoteTestMark !== undefined,
    path: location.pathname + location.search + location.hash,
    history: history.length,
    navigation: performance.getEntriesByType('navigation')[0]?.type,
    local: Object.keys(localStorage),
    session: sessionStorage.length,
    cookie: document.cookie,
    caches: 'caches' in window ? await caches.keys() : [],
    workers: navigator.serviceWorker ? (await navigator.serviceWorker.getRegistrations()).length : 0,
    html: document.documentElement.outerHTML,
    inputs: [...document.querySelectorAll('input')].map((i) => i.value).filter(Boolean),
  }));
  assert.equal(state.marked, false, 'a fresh page: the previous one (marked by markPage) is gone');
  assert.equal(state.path, '/kiosk');
  assert.equal(state.history, history, 'no history entry added by the vote');
  assert.notEqual(state.navigation, 'back_forward');
  assert.deepEqual(state.local, ['pbvote.kiosk'], 'only the enrolment in localStorage');
  assert.equal(state.session, 0, 'sessionStorage is empty');
  assert.equal(state.cookie, '');
  assert.deepEqual(state.caches, []);
  assert.equal(state.workers, 0);
  assert.deepEqual(state.inputs, []);
  for (const s of secrets) assert.ok(!state.html.includes(s), `the page still holds ${s}`);
}

/**
 * Press Tab (or Shift+Tab) until the focused element is the one @locator finds, failing after
 * @max presses; the focused element must show a visible focus indicator.
 */
export async function tabTo(page, locator, { max = 120 } = {}) {
  const target = await locator.elementHandle();
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) {
      const visible = await target.evaluate((el) => {
        const s = getComputedStyle(el);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
      });
      assert.ok(visible, 'focus is visible');
      return;
    }
  }
  throw new Error(`Tab never reached ${locator}`);
}

/**
 * Nothing is lost at 200 % text (and at 320 CSS pixels wide, which is 400 % zoom): no horizontal
 * scrolling, and every control stays on screen horizontally.
 */
export async function checkReflow(page, what) {
  const out = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const clipped = [...document.querySelectorAll('button, input, select, a, label, h1, h2, p')]
      .filter((el) => el.offsetParent !== null && !el.closest('.visually-hidden,.skip-link'))
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.left < -1 || r.right > w + 1);
      })
      .map((el) => el.outerHTML.slice(0, 80));
    return { scroll: document.documentElement.scrollWidth, width: w, clipped };
  });
  assert.ok(out.scroll <= out.width, `${what}: the page scrolls sideways (${out.scroll} > ${out.width})`);
  assert.deepEqual(out.clipped, [], `${what}: controls cut off`);
}

/** Every control a resident touches is at least 44 by 44 CSS pixels. */
export async function checkTargets(page, what) {
  const small = await page.evaluate(() => [...document.querySelectorAll('button, input, select, summary, a.button')]
    .filter((el) => el.offsetParent !== null && !el.closest('.visually-hidden'))
    .map((el) => ({ el: el.outerHTML.slice(0, 70), r: el.getBoundingClientRect() }))
    .filter(({ r }) => r.width < 44 || r.height < 44)
    .map(({ el, r }) => `${Math.round(r.width)}x${Math.round(r.height)} ${el}`));
  assert.deepEqual(small, [], `${what}: targets under 44 px`);
}

/** The length of the page's session history now; and marks the document (see checkKioskClean):
 *  call it when the resident arrives. */
export async function historyLength(page) {
  return page.evaluate(() => {
    window.pbvoteTestMark = 1;
    return history.length;
  });
}
