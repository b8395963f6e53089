// "/results/{id}": the results everyone can read and check (issue 13).  Before the count only the
// turnout is shown, never a partial count.  Once counted, the page checks in the browser
// (web/js/verify.js) that the manifest is signed by the finance office's key, the result by the
// engine key, that the result names this election's signed manifest and the final checkpoint of
// the ballot log (itself signed by the engine key), and the finance office's certification of
// that result; it shows only a result whose signature verified: winners and money per contest,
// every project's votes as an inline SVG chart (readable in black and white) and as a table.
import { ApiError, getCheckpoint, getElection, getResult, getTurnout } from '../api.js';
import { clear, h, uid } from '../dom.js';
import { num, t, text, textLang } from '../i18n.js';
import { formatExact, formatMoney } from '../money.js';
import {
  TYPES, VerifyError, cryptoAvailable, equal, fromHex, openCheckpoint, openEnvelope, parseVerifierKey, sha256, toHex,
} from '../verify.js';

const SVG = 'http://www.w3.org/2000/svg';
const dec = new TextDecoder();

/** Run the checks of @election's signed documents: {checks: [{key, ok, vars, why}], doc, keys}. */
async function verifyAll(id, election, signed, checkpointText) {
  const checks = [];
  const add = (key, ok, vars = {}, why = null) => checks.push({ key, ok, vars, why });
  const keys = election.manifest.keys || {};
  let engine;
  let office;
  try {
    engine = await parseVerifierKey(keys.engine);
    office = await parseVerifierKey(keys.office);
  } catch (e) {
    add('results.check.result', false, {}, e.reason);
    return { checks, doc: null };
  }
  let manifestBytes = null;
  try {
    manifestBytes = await openEnvelope(election.signed_manifest, TYPES.manifest, office);
    add('results.check.manifest', true);
  } catch (e) {
    add('results.check.manifest', false, {}, e.reason || 'malformed');
  }
  let resultBytes;
  let doc;
  try {
    resultBytes = await openEnvelope(signed.result, TYPES.result, engine);
    doc = JSON.parse(dec.decode(resultBytes));
    add('results.check.result', true);
  } catch (e) {
    add('results.check.result', false, {}, e instanceof VerifyError ? e.reason : 'malformed');
    return { checks, doc: null, keys: { engine: engine.fingerprint, office: office.fingerprint } };
  }
  const names = manifestBytes && doc.election === id &&
    equal(await sha256(manifestBytes), fromHex(String(doc.manifest_sha256 || '')));
  add('results.check.names', !!names, {}, names ? null : 'mismatch');
  try {
    const cp = await openCheckpoint(checkpointText, engine, id);
    const log = doc.ballot_log || {};
    const same = cp.size === BigInt(log.size ?? -1) && toHex(cp.root) === log.root;
    add('results.check.checkpoint', same, {}, same ? null : 'mismatch');
  } catch (e) {
    add('results.check.checkpoint', false, {}, e.reason || 'malformed');
  }
  if (!signed.certification) {
    checks.push({ key: 'results.check.uncertified', ok: null, vars: {} });
  } else {
    try {
      const cert = JSON.parse(dec.decode(await openEnvelope(signed.certification, TYPES.certification, office)));
      const named = cert.election === id && cert.result_sha256 === toHex(await sha256(resultBytes));
      add('results.check.certification', named, { date: String(cert.certified_at || '') }, named ? null : 'mismatch');
    } catch (e) {
      add('results.check.certification', false, { date: '' }, e.reason || 'malformed');
    }
  }
  return { checks, doc, keys: { engine: engine.fingerprint, office: office.fingerprint } };
}

/** The projects of contest @cid (the one-contest form: the manifest's own). */
function projectsOf(manifest, cid) {
  const c = (manifest.contests || []).find((x) => x.id === cid);
  return (c || manifest).projects || [];
}

function moneyOf(manifest, tally) {
  return { currency: tally.currency ?? manifest.currency, scale: tally.scale ?? manifest.scale ?? 0 };
}

/** An SVG bar per project (votes), funded ones filled, the others outlined: black and white prints it. */
function chart(rows) {
  const max = Math.max(1, ...rows.map((r) => r.votes));
  const bar = 14;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 400 ${rows.length * bar}`);
  svg.setAttribute('preserveAspectRatio', 'none'); // printed as a strip of fixed height (app.css)
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('results.chart'));
  rows.forEach((r, i) => {
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('x', '0');
    rect.setAttribute('y', String(i * bar + 3));
    rect.setAttribute('width', String(Math.max(1, (r.votes / max) * 396)));
    rect.setAttribute('height', String(bar - 6));
    rect.setAttribute('class', r.funded ? 'bar bar-funded' : 'bar');
    const title = document.createElementNS(SVG, 'title');
    title.textContent = `${r.name}: ${num(r.votes)}`;
    rect.append(title);
    svg.append(rect);
  });
  return svg;
}

/** A project list as names, in the page's language. */
function names(ids, nameOf) {
  return ids.map((pid) => text(nameOf(pid))).join(', ');
}

/** How the projects were chosen, with this election's numbers, and each tie (docs/rules.md). */
function ruleSection(tally, m, nameOf) {
  const rule = tally.rule || {};
  const score = ['votes', 'points'].includes(rule.score) ? t(`results.score.${rule.score}`) : String(rule.score || '');
  const out = [];
  if (rule.name === 'greedy' || rule.name === 'greedy-threshold' || rule.name === 'greedy-ratio') out.push(t('results.rule.greedy', { score }));
  else if (rule.name === 'greedy-no-skip') out.push(t('results.rule.greedyNoSkip', { score }));
  else if (rule.name === 'equalshares') {
    const voters = BigInt(tally.voters || 1);
    out.push(t('results.rule.equalshares', { voters: num(Number(voters)), share: formatExact(`${BigInt(tally.budget || 0)}/${voters}`, m) }));
  } else if (rule.name === 'phragmen') out.push(t('results.rule.phragmen'));
  else out.push(t('results.rule.other', { rule: String(rule.name || '') }));
  const section = h('div', { class: 'results-rule' }, ...out.map((x) => h('p', { text: x })));
  const ties = tally.ties || [];
  if (ties.length) {
    const list = h('ul');
    for (const tie of ties) {
      const on = tie.on === 'score' ? score : String(tie.on || '');
      const item = h('li', {}, t('results.tie', { step: num(tie.step), score: on, projects: names(tie.tied || [], nameOf), rule: String(rule.tie_break || '') }));
      if (tie.decisive) item.append(' ', t('results.tieDecisive'));
      list.append(item);
    }
    section.append(h('h3', { text: t('results.ties') }), list);
    if (rule.seed) section.append(h('p', { text: t('results.tieSeed', { seed: String(rule.seed) }) }));
  }
  return section;
}

/**
 * Equal shares with this election's numbers (docs/pages.md, "The results page"): what each funded
 * project cost each of its supporters (the step's exact price, shown as money), what the
 * supporters of each project they could not pay for had left against its cost, and the per-voter
 * share the outcome was counted with after a completion.  The prices are per supporter only where
 * every supporter of a project has the same utility (utility cost or approval); under points or
 * Borda utility a step's measure is a price per point, not shown.  Nothing for other rules.
 */
function mesExplanation(tally, m, nameOf) {
  const rule = tally.rule || {};
  if (rule.name !== 'equalshares') return null;
  const items = [];
  const onlyMes = !rule.utilitarian_completion && tally.details?.comparison !== 'greedy';
  if (onlyMes && ['cost', 'approval'].includes(rule.utility)) {
    for (const st of tally.steps || []) {
      items.push(t('results.mes.paid', {
        project: text(nameOf(st.project)), cost: formatMoney(st.cost, m), supporters: num(st.supporters), price: formatExact(st.measure, m),
      }));
    }
  }
  for (const p of tally.projects || []) {
    if (p.reason === 'unaffordable' && p.supporters_left) {
      items.push(t('results.mes.unaffordable', { project: text(nameOf(p.id)), cost: formatMoney(p.cost, m), left: formatExact(p.supporters_left, m) }));
    }
  }
  const vb = tally.details?.voter_budget;
  if (vb && rule.completion && rule.completion !== 'none') {
    items.push(t('results.mes.completion', { share: formatExact(vb, m) }));
  }
  if (!items.length) return null;
  return h('div', { class: 'results-explain' },
    h('h3', { text: t('results.mes.heading') }),
    h('ul', {}, ...items.map((x) => h('li', { text: x }))));
}

function contestSection(manifest, cid, tally, multi) {
  const m = moneyOf(manifest, tally);
  const projects = projectsOf(manifest, cid);
  const nameOf = (pid) => projects.find((p) => p.id === pid)?.name ?? pid;
  const rows = (tally.projects || []).map((p) => ({ id: p.id, name: text(nameOf(p.id)), lang: textLang(nameOf(p.id)), votes: Number(p.votes), cost: p.cost, funded: p.selected === true }))
    .sort((a, b) => b.votes - a.votes);
  const headingId = uid('contest');
  const contest = (manifest.contests || []).find((x) => x.id === cid);
  const section = h('section', { class: 'results-contest', 'aria-labelledby': headingId },
    h('h2', { id: headingId, text: multi ? t('results.contest', { title: text(contest?.title) || cid }) : t('results.outcome') }),
    h('p', { class: 'lead results-money', text: t('results.money', { budget: formatMoney(tally.budget, m), spent: formatMoney(tally.spent, m), left: formatMoney(BigInt(tally.budget) - BigInt(tally.spent), m) }) }));
  const funded = h('ol', { class: 'results-funded' });
  for (const pid of tally.winners || []) {
    const p = (tally.projects || []).find((x) => x.id === pid) || {};
    funded.append(h('li', {}, h('span', { class: 'funded-name', dir: 'auto', lang: textLang(nameOf(pid)), text: text(nameOf(pid)) }), ` – ${formatMoney(p.cost ?? 0, m)}`));
  }
  section.append(ruleSection(tally, m, nameOf));
  const explain = mesExplanation(tally, m, nameOf);
  if (explain) section.append(explain);
  section.append(h('h3', { text: t('results.funded', { count: (tally.winners || []).length }) }), funded, chart(rows.filter((r) => r.votes > 0)));
  const table = h('table', { class: 'results-table' },
    h('caption', { text: t('results.allProjects') }),
    h('thead', {}, h('tr', {}, ...['results.project', 'results.cost', 'results.votes', 'results.result'].map((k) => h('th', { scope: 'col', text: t(k) })))));
  const body = h('tbody');
  for (const r of rows) {
    body.append(h('tr', { class: r.funded ? 'row-funded' : '' },
      h('th', { scope: 'row', dir: 'auto', lang: r.lang, text: r.name }),
      h('td', { text: formatMoney(r.cost, m) }),
      h('td', { text: num(r.votes) }),
      h('td', { text: t(r.funded ? 'results.fundedOne' : 'results.notFunded') })));
  }
  table.append(body);
  section.append(h('div', { class: 'results-table-wrap' }, table)); // two columns on paper (app.css)
  return section;
}

/** Per-project results as CSV (RFC 4180; minor units, as the signed document): id, name, cost, votes, funded. */
export function resultsCsv(manifest, contests) {
  const q = (x) => `"${String(x).replace(/"/g, '""')}"`;
  const lines = ['contest,project,name,cost,votes,funded'];
  for (const [cid, tally] of contests) {
    const projects = projectsOf(manifest, cid);
    for (const p of tally.projects || []) {
      const name = projects.find((x) => x.id === p.id)?.name;
      lines.push([q(cid), q(p.id), q(text(name) || p.id), p.cost, p.votes, p.selected === true ? 1 : 0].join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The files to download: the signed result, the CSV, and each contest's ballots as a pabulib file. */
function downloads(id, manifest, contests, multi) {
  const csv = `data:text/csv;charset=utf-8,${encodeURIComponent(resultsCsv(manifest, contests))}`;
  const list = h('ul', { class: 'results-downloads no-print' },
    h('li', {}, h('a', { href: `/v1/elections/${encodeURIComponent(id)}/result`, download: `${id}-result.json`, text: t('results.download.result') })),
    h('li', {}, h('a', { href: csv, download: `${id}-results.csv`, text: t('results.download.csv') })));
  for (const [cid] of contests) {
    const contest = (manifest.contests || []).find((x) => x.id === cid);
    const label = multi ? t('results.download.pabulibContest', { title: text(contest?.title) || cid }) : t('results.download.pabulib');
    list.append(h('li', {}, h('a', { href: `/v1/elections/${encodeURIComponent(id)}/pabulib/${encodeURIComponent(cid)}`, download: `${cid}.pb`, text: label })));
  }
  return list;
}

function trustSection(v) {
  const headingId = uid('trust');
  const list = h('ul', { class: 'results-checks' });
  for (const c of v.checks) {
    const state = c.ok === null ? 'pending' : c.ok ? 'ok' : 'failed';
    const label = t(c.key, c.vars);
    list.append(h('li', { class: `check check-${state}` },
      h('strong', { text: t(`results.${state}`) }), ' ', label,
      c.ok === false ? h('span', { text: ` (${t(`verify.${c.why || 'malformed'}`)})` }) : null));
  }
  const section = h('section', { class: 'results-trust', 'aria-labelledby': headingId },
    h('h2', { id: headingId, text: t('results.trust') }), list);
  if (v.keys) section.append(h('p', { class: 'check-key', text: t('results.keys', { engine: `\u2068${v.keys.engine}\u2069`, office: `\u2068${v.keys.office}\u2069` }) }));
  return section;
}

/** The turnout (counts only, never a partial result): ballots, by channel, by contest, codes. */
function turnoutSection(turnout, manifest) {
  const c = turnout.by_channel || {};
  const section = h('section', { class: 'results-turnout', 'aria-labelledby': 'turnout-h' },
    h('h2', { id: 'turnout-h', text: t('results.turnout') }),
    h('p', { text: t('results.ballots', { count: num(turnout.ballots ?? 0) }) }),
    h('p', { text: t('results.byChannel', { electronic: num(c.electronic ?? 0), paper: num(c.paper ?? 0), web: num(c.web ?? 0), imported: num(c.imported ?? 0) }) }),
    h('p', { text: t('results.codes', { issued: num(turnout.codes_issued ?? 0), spent: num(turnout.codes_spent ?? 0) }) }));
  // a vote of several contests: the ballots that carry one for each, in the manifest's order
  const by = turnout.by_contest;
  if (by && manifest?.contests?.length) {
    const list = h('ul', { class: 'results-by-contest' });
    for (const ct of manifest.contests) {
      list.append(h('li', {}, t('results.byContest', { title: text(ct.title) || ct.id, count: num(by[ct.id] ?? 0) })));
    }
    section.append(h('h3', { text: t('results.byContestHeading') }), list);
  }
  return section;
}

export async function start(app, [id]) {
  const s = { election: null, turnout: null, verified: null, error: null };
  try {
    s.election = await getElection(id);
    s.turnout = await getTurnout(id);
    if (['tallied', 'certified'].includes(s.election.state)) {
      if (!(await cryptoAvailable())) s.error = t('check.crypto');
      else s.verified = await verifyAll(id, s.election, await getResult(id), await getCheckpoint(id));
    }
  } catch (e) {
    s.error = e instanceof ApiError && e.status === 404 && !s.election ? t('notfound.body') : t(`reason.${e instanceof ApiError ? e.reason : 'offline'}`);
  }
  const screen = {
    render() {
      clear(app.main);
      const root = h('div', { class: 'results-page' }); // the print layout's scope (app.css)
      app.main.append(root);
      const title = s.election ? text(s.election.manifest.title) : '';
      app.title(t('results.title', { title }));
      root.append(h('h1', { text: t('results.title', { title }) }));
      if (s.turnout) root.append(turnoutSection(s.turnout, s.election?.manifest));
      if (s.error) {
        root.append(h('p', { class: 'error-text', text: s.error }));
        return;
      }
      if (!s.verified) {
        root.append(h('p', { class: 'lead results-later', text: t('results.notCounted') }));
        return;
      }
      root.append(trustSection(s.verified));
      const doc = s.verified.doc;
      if (!doc) {
        root.append(h('p', { class: 'error-text', text: t('results.unverified') }));
        return;
      }
      const contests = doc.tally?.contests ? Object.entries(doc.tally.contests) : [[id, doc.tally || {}]];
      for (const [cid, tally] of contests) root.append(contestSection(s.election.manifest, cid, tally, !!doc.tally?.contests));
      root.append(downloads(id, s.election.manifest, contests, !!doc.tally?.contests));
      root.append(h('p', { class: 'no-print' }, h('a', { href: '/receipt', text: t('results.checkReceipt') })));
      root.append(h('p', { class: 'print-only', text: t('results.printedFrom', { url: location.href }) }));
    },
  };
  screen.render();
  return screen;
}
