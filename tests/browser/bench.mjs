// The pages' benchmark (not an assertion; docs/performance.md, "The pages"): bytes each page
// loads and whether any request leaves the server, the time until the voter-code field is usable
// on loopback (cold: a fresh browser profile; warm: the assets cached), and a 500-project
// election's ballot: time to draw it, to filter by category and by a search, and the frames of a
// scroll to its end.  usage: PBVOTE=build/cli/pbvote node bench.mjs [rounds]
import { bigManifest } from './lib/elections.mjs';
import { enrolKiosk, launch, makeData, newPage, removeData, startServer } from './lib/harness.mjs';
import { tr } from './lib/i18n.mjs';

const rounds = Number(process.argv[2] || 9);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const data = makeData({ big: bigManifest(500) }, rounds + 4);
const server = await startServer(data);
const browser = await launch();

async function bytesOf(path, then) {
  const page = await newPage(browser, server);
  let bytes = 0;
  let requests = 0;
  let external = 0;
  page.on('response', async (r) => {
    requests += 1;
    if (!r.url().startsWith(server.url)) external += 1;
    const b = await r.body().catch(() => Buffer.alloc(0));
    bytes += b.length;
  });
  await page.goto(path);
  await page.getByRole('heading', { level: 1 }).waitFor();
  if (then) await then(page);
  await page.waitForLoadState('networkidle');
  await page.context().close();
  return { bytes, requests, external };
}

const out = [];
for (const [name, path] of [['start page /', '/'], ['voting page /vote/{id} (code step)', '/vote/warszawa-rembertow-2023'], ['kiosk /kiosk (setup)', '/kiosk']]) {
  const r = await bytesOf(path);
  out.push(`${name}: ${(r.bytes / 1024).toFixed(1)} KiB uncompressed in ${r.requests} requests, ${r.external} to another site`);
}
{ // the receipt screen, the heaviest (the QR code module)
  const el = data.elections.big;
  const r = await bytesOf('/kiosk', async (page) => {
    await page.evaluate(() => localStorage.clear());
    await enrolKiosk(page, 'big', el.kiosk);
    await page.getByRole('button', { name: 'Start voting' }).click();
    await page.getByLabel('Voter code', { exact: true }).fill(el.codes[0]);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: tr('en', 'ballot.next') }).click();
    await page.getByRole('button', { name: tr('en', 'review.cast') }).click();
    await page.getByRole('img', { name: tr('en', 'receipt.qr') }).waitFor();
  });
  out.push(`a whole kiosk vote to the receipt, 500 projects: ${(r.bytes / 1024).toFixed(1)} KiB in ${r.requests} requests (API answers included), ${r.external} to another site`);
}

// time until the code field is usable: navigation start to the field in the DOM, enabled, focusable
for (const warm of [false, true]) {
  const times = [];
  const context = await browser.newContext({ baseURL: server.url });
  for (let i = 0; i < rounds; i++) {
    const page = warm ? await context.newPage() : await (await browser.newContext({ baseURL: server.url })).newPage();
    const t0 = Date.now();
    await page.goto('/vote/warszawa-rembertow-2023', { waitUntil: 'commit' });
    await page.getByLabel('Voter code', { exact: true }).waitFor();
    const inPage = await page.evaluate(() => performance.now());
    times.push(Math.min(Date.now() - t0, Math.round(inPage)));
    if (warm) await page.close();
    else await page.context().close();
  }
  await context.close();
  out.push(`code field usable, ${warm ? 'warm (assets cached)' : 'cold (fresh profile)'}: median ${median(times)} ms of ${rounds} (min ${Math.min(...times)}, max ${Math.max(...times)})`);
}

{ // 500 projects: draw, filter, search, scroll
  const el = data.elections.big;
  const page = await newPage(browser, server, { viewport: { width: 1024, height: 800 } });
  await enrolKiosk(page, 'big', el.kiosk);
  await page.getByRole('button', { name: 'Start voting' }).click();
  await page.getByLabel('Voter code', { exact: true }).fill(el.codes[1]);
  // measured in the page: from the click to the 500 projects drawn and laid out (what Playwright's
  // own waiting adds is left out)
  const draw = await page.evaluate(async () => {
    const t = performance.now();
    document.querySelector('form button[type=submit]').click();
    while (document.querySelectorAll('input[type=checkbox]').length < 500) await new Promise((r) => setTimeout(r, 0));
    void document.body.offsetHeight; // style and layout of the whole list
    return performance.now() - t;
  });
  const filter = await page.evaluate(async () => {
    const select = document.getElementById('category');
    const t = performance.now();
    select.value = 'sport';
    select.dispatchEvent(new Event('change')); // filters at once
    void document.body.offsetHeight;
    const ms = performance.now() - t;
    const shown = [...document.querySelectorAll('li.project')].filter((li) => !li.hidden).length;
    select.value = '';
    select.dispatchEvent(new Event('change'));
    return { ms, shown };
  });
  const search = await page.evaluate(async () => {
    const input = document.getElementById('search');
    input.value = 'number 42';
    input.dispatchEvent(new Event('input'));
    // the field waits 150 ms for the typing to pause, then filters: the filter's time is measured
    const shownLine = document.getElementById('filter-count');
    const before = shownLine.textContent;
    const t0 = performance.now();
    while (shownLine.textContent === before) await new Promise((r) => setTimeout(r, 0));
    void document.body.offsetHeight;
    const ms = performance.now() - t0 - 150;
    const shown = [...document.querySelectorAll('li.project')].filter((li) => !li.hidden).length;
    input.value = '';
    input.dispatchEvent(new Event('input'));
    return { ms, shown };
  });
  await page.waitForTimeout(300);
  const scroll = await page.evaluate(async () => {
    const frames = [];
    let last = performance.now();
    const end = document.documentElement.scrollHeight;
    for (let y = 0; y < end; y += 400) {
      window.scrollTo(0, y);
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      frames.push(now - last);
      last = now;
    }
    frames.sort((a, b) => a - b);
    return { n: frames.length, median: frames[Math.floor(frames.length / 2)], p95: frames[Math.floor(frames.length * 0.95)], max: frames[frames.length - 1], height: end };
  });
  const check = await page.evaluate(async () => {
    const box = document.querySelectorAll('input[type=checkbox]')[250];
    const t = performance.now();
    box.click(); // the change handler runs at once: the meter and every "does it fit" note
    void document.body.offsetHeight;
    return performance.now() - t;
  });
  out.push(`500 projects: ballot drawn and laid out ${draw.toFixed(0)} ms after "Continue"; category filter ${filter.ms.toFixed(1)} ms (${filter.shown} shown); search ${search.ms.toFixed(1)} ms (${search.shown} shown); a pick with the budget meter and 500 "does it fit" notes ${check.toFixed(1)} ms`);
  out.push(`500 projects: scrolling ${scroll.height} px in ${scroll.n} steps of 400 px, one frame each: median ${scroll.median.toFixed(1)} ms, 95th percentile ${scroll.p95.toFixed(1)} ms, longest ${scroll.max.toFixed(1)} ms`);
  await page.context().close();
}

await browser.close();
await server.stop();
removeData(data);
console.log(out.join('\n'));
