// The browser tests' harness: a real `pbvote serve` on a free loopback port over a fresh data
// folder (the demo election, plus one election per ballot type made with the command line), and
// Debian's Chromium driven by playwright-core.  Missing Chromium or node_modules is a failure,
// never a skip (run.sh checks both before any test runs).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { ELECTIONS } from './elections.mjs';

export const PBVOTE = process.env.PBVOTE;
export const CHROMIUM = process.env.PBVOTE_CHROMIUM || '/usr/bin/chromium';
/** Where screenshots and figures go (the build folder). */
export const OUT = process.env.PBVOTE_BROWSER_OUT || join(tmpdir(), 'pbvote-browser-out');

if (!PBVOTE || !existsSync(PBVOTE)) throw new Error(`PBVOTE must name the pbvote binary (got ${PBVOTE})`);
if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/deps.sh`);
mkdirSync(OUT, { recursive: true });

/** Run `pbvote ARGS...`; its standard output, trimmed. */
export function cli(...args) {
  return execFileSync(PBVOTE, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A vote of its own beside the demo in @data: @manifest written there, its box created and opened
 *  with the demo's keys (they sign it).  The box's path. */
export function openVote(data, manifest) {
  const db = join(data.dir, `${manifest.id}.db`);
  const file = join(data.dir, `${manifest.id}.manifest.json`);
  writeFileSync(file, JSON.stringify(manifest));
  cli('election', 'create', '--db', db, '--manifest', file);
  cli('election', 'open', '--db', db, '--key', join(data.dir, 'engine.key'), '--office-key', join(data.dir, 'office.key'));
  return db;
}

/**
 * Make a data folder: the demo election (its keys sign the others), and each election of
 * @manifests opened with @codes voter codes, a device kiosk token, a web frontend's kiosk token
 * and an auditor token.  Returns {dir, demo, elections: {id: {codes, device, kiosk, auditor}}}.
 */
export function makeData(manifests = ELECTIONS, codes = 12) {
  const dir = mkdtempSync(join(tmpdir(), 'pbvote-browser-'));
  cli('demo', '--db', join(dir, 'warszawa-rembertow-2023.db'));
  const demo = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8'));
  const elections = {};
  for (const m of Object.values(manifests)) {
    const db = join(dir, `${m.id}.db`);
    const file = join(dir, `${m.id}.manifest.json`);
    writeFileSync(file, JSON.stringify(m));
    cli('election', 'create', '--db', db, '--manifest', file);
    cli('election', 'open', '--db', db, '--key', join(dir, 'engine.key'), '--office-key', join(dir, 'office.key'));
    elections[m.id] = {
      manifest: m,
      codes: cli('codes', 'issue', '--db', db, '--key', join(dir, 'engine.key'), '--count', String(codes)).split('\n'),
      device: cli('token', 'create', '--db', db, '--role', 'kiosk', '--device', '--label', 'test kiosk'),
      kiosk: cli('token', 'create', '--db', db, '--role', 'kiosk', '--label', 'test frontend'),
      auditor: cli('token', 'create', '--db', db, '--role', 'auditor'),
    };
  }
  return { dir, demo, elections };
}

/** Start `pbvote serve` on @data.dir; resolves to {url, stop(), api()}. */
export async function startServer(data, extraArgs = []) {
  const child = spawn(PBVOTE, ['serve', '--data', data.dir, '--listen', '127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`pbvote serve did not start: ${stderr}`)), 15000);
    child.stdout.on('data', (b) => {
      out += b;
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`pbvote serve exited ${code}: ${stderr}`)));
  });
  const admin = data.demo.tokens.admin;
  /** Call the API: api('POST', '/v1/elections/x/close', {token, body}) -> {status, body} */
  async function api(method, path, { token = admin, body, raw = false } = {}) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (raw) return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
    const text = await res.text();
    let parsed = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: parsed };
  }
  return {
    url,
    api,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => { if (child.exitCode !== null) resolve(); else child.on('exit', resolve); });
    },
  };
}

/** Chromium as the machine runs it (docs/pages.md, "Tests"): headless, a fresh profile. */
export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--font-render-hinting=none'],
  });
}

/**
 * A fresh page in @browser for a resident whose browser asks for @locale, failing the test on
 * any console error, page error or request to another origin.
 */
export async function newPage(browser, server, { locale = 'en-GB', viewport = { width: 1024, height: 800 } } = {}) {
  const context = await browser.newContext({ locale, viewport, baseURL: server.url });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (4\d\d|5\d\d)/.test(m.text()) && !/net::ERR_/.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) page.problems.push(`external request: ${r.url()}`);
  });
  return page;
}

/** Throw if the page logged an error or asked another origin for anything. */
export function assertClean(page) {
  if (page.problems.length) throw new Error(page.problems.join('\n'));
}

/** Remove a data folder. */
export function removeData(data) {
  rmSync(data.dir, { recursive: true, force: true });
}

/** The files of a flat ustar archive: file name -> Buffer (the audit bundle is one). */
export function untar(buf) {
  const files = {};
  for (let off = 0; off + 512 <= buf.length;) {
    const name = buf.subarray(off, off + 100).toString('utf8').replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(buf.subarray(off + 124, off + 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    files[name.split('/').pop()] = buf.subarray(off + 512, off + 512 + size); // "<prefix>/<file>"

    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * Close and count election @id, read its audit bundle (GET .../export) and check it offline with
 * `pbvote verify` (exit 0: every signature, commitment, count and the re-tally agree); returns
 * its ballots: [cvr text].
 */
export async function exportedBallots(server, data, id) {
  const auditor = data.elections[id]?.auditor ?? data.demo.tokens.auditor;
  for (const step of ['close', 'tally']) {
    const r = await server.api('POST', `/v1/elections/${id}/${step}`);
    if (r.status !== 200) throw new Error(`${step} ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const tar = await server.api('GET', `/v1/elections/${id}/export`, { token: auditor, raw: true });
  if (tar.status !== 200) throw new Error(`export ${id}: ${tar.status}`);
  const file = join(data.dir, `${id}.bundle.tar`);
  writeFileSync(file, tar.bytes);
  cli('verify', file, '--allow-uncertified');
  const lines = untar(tar.bytes)['ballots.jsonl'].toString('utf8').trim().split('\n').filter(Boolean);
  return lines.map((l) => JSON.parse(l).cvr);
}

/** Enrol @page as a kiosk of election @id with @token through the setup screen. */
export async function enrolKiosk(page, id, token, { idle = 120 } = {}) {
  await page.goto('/kiosk');
  await page.getByLabel('Vote', { exact: true }).selectOption(id);
  await page.getByLabel('Kiosk token').fill(token);
  await page.getByLabel('Seconds without input before the kiosk starts again').fill(String(idle));
  await page.getByRole('button', { name: 'Enrol this kiosk' }).click();
  await page.getByRole('button', { name: 'Start voting' }).waitFor();
}

/**
 * The hooks every page test starts with: before its tests, data for @codes voter codes per election
 * (makeData), a pbvote serve on it and Chromium; after them, all three gone.  @ready receives
 * {data, server, browser} once they exist (and may await more setup).  Options: @manifests for
 * makeData (default: every ballot type); @prepare(data), run before the server starts (a vote of
 * its own made with openVote).
 */
export function useServer(codes, ready, { manifests, prepare } = {}) {
  let data;
  let server;
  let browser;
  before(async () => {
    data = makeData(manifests, codes);
    if (prepare) prepare(data);
    server = await startServer(data);
    browser = await launch();
    await ready({ data, server, browser });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (data) removeData(data);
  });
}
