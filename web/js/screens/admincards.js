// /admin/cards: the coordinator issues voter codes and prints their cards (issue 13).  The admin
// token is typed or pasted into the form and kept in this page's memory only (never in storage,
// never in the address); the codes come back once, from POST /v1/elections/{id}/codes, and go
// nowhere but into the cards drawn here (web/js/cards.js, the layout of `pbvote codes issue
// --cards`).  Print gives the cards alone, six an A4 sheet (app.css, ".cards-sheet").
import { ApiError, getElection, listElections } from '../api.js';
import { cardSheet } from '../cards.js';
import { clear, errorSummary, focus, h } from '../dom.js';
import { t, text } from '../i18n.js';

/** The most codes this page issues at once (the API takes 100,000; the CLI prints more). */
export const MAX_CODES = 1000;
/** States in which the box issues codes (docs/api.md, POST .../codes). */
const ISSUING = new Set(['draft', 'open', 'suspended']);

/** Why a voting address cannot go on a card, or '' (the rule of cli_cards_url_ok in cli/cards.c). */
function urlProblem(url) {
  if (!/^https?:\/\//.test(url)) return t('admincards.error.urlScheme');
  if (url.length > 200) return t('admincards.error.urlLong');
  if (/[\s"'<>\\`#?]|[^\x21-\x7e]/.test(url)) return t('admincards.error.urlChars');
  return '';
}

/** The refusal of POST .../codes in the page's language. */
function refusal(e) {
  if (!(e instanceof ApiError)) return t('reason.offline');
  if (e.status === 401) return t('admincards.refused.token');
  if (e.status === 403) return t('admincards.refused.role');
  if (e.reason === 'not_open' || e.status === 409) return t('admincards.refused.state');
  if (e.status === 404) return t('admincards.refused.election');
  if (e.status === 422 && e.problem.field === '$.count') return t('admincards.refused.count', { max: MAX_CODES });
  if (e.status === 422) return t('admincards.refused.contests');
  if (e.status === 429 || e.status === 503) return t('reason.busy');
  return t('reason.unknown');
}

/** POST /v1/elections/{id}/codes with the admin token: the codes (shown only in this answer). */
async function issueCodes(id, token, count, contests) {
  const body = { count };
  if (contests) body.contests = contests;
  const res = await fetch(`/v1/elections/${encodeURIComponent(id)}/codes`, {
    method: 'POST',
    cache: 'no-store',
    credentials: 'omit',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const type = res.headers.get('content-type') || '';
  const answer = type.includes('json') ? await res.json() : {};
  if (!res.ok) throw new ApiError(res.status, answer);
  return answer.codes;
}

export async function start(app) {
  let elections = [];
  try {
    elections = (await listElections()).filter((e) => ISSUING.has(e.state));
  } catch {
    elections = [];
  }
  // the form's values and the issued codes: in memory only, gone with the page
  const form = { election: elections[0]?.id || '', token: '', count: '6', url: location.origin, contests: new Set(), errors: [] };
  const manifests = {};
  let issued = null; // {manifest, election, url, codes, contests, sheet}

  async function manifestOf(id) {
    if (!id) return null;
    if (!manifests[id]) manifests[id] = (await getElection(id)).manifest;
    return manifests[id];
  }

  function contestField(manifest) {
    if (!manifest?.contests?.length) return null;
    return h('fieldset', { class: 'field' },
      h('legend', { class: 'label', text: t('admincards.contests') }),
      h('p', { class: 'hint', text: t('admincards.contestsHint') }),
      ...manifest.contests.map((c) => {
        const id = `cards-contest-${c.id}`;
        const box = h('input', { type: 'checkbox', id, value: c.id, checked: form.contests.has(c.id) });
        box.addEventListener('change', () => { if (box.checked) form.contests.add(c.id); else form.contests.delete(c.id); });
        return h('div', { class: 'check-row' }, box, h('label', { for: id, text: text(c.title) }));
      }));
  }

  function validate(manifest) {
    const errors = [];
    const count = Number(form.count);
    if (!form.election) errors.push({ field: 'cards-election', message: t('admincards.error.election') });
    if (!form.token) errors.push({ field: 'cards-token', message: t('admincards.error.token') });
    if (!/^\d+$/.test(form.count) || count < 1 || count > MAX_CODES) errors.push({ field: 'cards-count', message: t('admincards.error.count', { max: MAX_CODES }) });
    const why = urlProblem(form.url);
    if (why) errors.push({ field: 'cards-url', message: `${t('admincards.url')}: ${why}` });
    if (manifest?.contests?.length && !form.contests.size) errors.push({ field: `cards-contest-${manifest.contests[0].id}`, message: t('admincards.error.contests') });
    return errors;
  }

  async function submit(ev) {
    ev.preventDefault();
    form.errors = [];
    let manifest = null;
    try {
      manifest = await manifestOf(form.election);
    } catch (e) {
      form.errors.push({ field: 'cards-election', message: refusal(e) });
    }
    if (!form.errors.length) form.errors = validate(manifest);
    if (!form.errors.length) {
      // in the manifest's order, as POST .../codes/contests answers them
      const contests = manifest.contests?.length ? manifest.contests.map((c) => c.id).filter((id) => form.contests.has(id)) : null;
      const url = form.url.replace(/\/+$/, '');
      try {
        const codes = await issueCodes(form.election, form.token, Number(form.count), contests);
        const sheet = await cardSheet(manifest, form.election, url, codes, contests || []);
        issued = { election: form.election, sheet, n: codes.length };
      } catch (e) {
        form.errors.push({ field: 'cards-token', message: refusal(e) });
      }
    }
    await screen.render();
    focus(app.main.querySelector(form.errors.length ? '.error-summary' : '#cards-done'));
  }

  const screen = {
    async render() {
      const manifest = await manifestOf(form.election).catch(() => null);
      clear(app.main);
      app.title(t('admincards.title'));
      const f = h('form', { class: 'form no-print', novalidate: true });
      if (form.errors.length) f.append(errorSummary(t('error.summary'), form.errors));
      const select = h('select', { id: 'cards-election', class: 'select' },
        ...elections.map((e) => h('option', { value: e.id, selected: e.id === form.election, text: text(e.title) })));
      // only the contests change with the vote: the rest of the form stays as typed
      const contestBox = h('div', {}, contestField(manifest));
      select.addEventListener('change', async () => {
        form.election = select.value;
        form.contests.clear();
        const m = await manifestOf(form.election).catch(() => null);
        if (form.election !== select.value) return; // changed again meanwhile
        clear(contestBox);
        const field = contestField(m);
        if (field) contestBox.append(field);
      });
      const input = (id, attrs, key) => {
        const el = h('input', { id, class: 'input', ...attrs, value: form[key] });
        el.addEventListener('input', () => { form[key] = el.value.trim(); });
        return el;
      };
      f.append(
        h('div', { class: 'field' }, h('label', { for: 'cards-token', class: 'label', text: t('admincards.token') }),
          h('p', { id: 'cards-token-hint', class: 'hint', text: t('admincards.tokenHint') }),
          input('cards-token', { type: 'password', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'cards-token-hint' }, 'token')),
        h('div', { class: 'field' }, h('label', { for: 'cards-election', class: 'label', text: t('admincards.election') }),
          elections.length ? select : h('p', { text: t('admincards.noElection') })),
        contestBox,
        h('div', { class: 'field' }, h('label', { for: 'cards-count', class: 'label', text: t('admincards.count') }),
          h('p', { id: 'cards-count-hint', class: 'hint', text: t('admincards.countHint', { max: MAX_CODES }) }),
          input('cards-count', { class: 'input input-short', type: 'number', min: 1, max: MAX_CODES, step: 1, inputmode: 'numeric', 'aria-describedby': 'cards-count-hint' }, 'count')),
        h('div', { class: 'field' }, h('label', { for: 'cards-url', class: 'label', text: t('admincards.url') }),
          h('p', { id: 'cards-url-hint', class: 'hint', text: t('admincards.urlHint') }),
          input('cards-url', { type: 'url', dir: 'ltr', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'cards-url-hint' }, 'url')),
        h('div', { class: 'button-row' }, h('button', { type: 'submit', class: 'button', text: t('admincards.submit') })),
      );
      f.addEventListener('submit', submit);
      app.main.append(h('h1', { class: 'no-print', text: t('admincards.title') }),
        h('p', { class: 'lead no-print', text: t('admincards.intro') }), f);
      if (issued) {
        app.main.append(
          h('div', { class: 'panel panel-warning no-print', id: 'cards-done', tabindex: '-1', role: 'status' },
            h('h2', { text: t('admincards.done', { count: issued.n }) }),
            h('p', { text: t('admincards.once') })),
          h('div', { class: 'button-row no-print' }, h('button', { type: 'button', class: 'button', text: t('admincards.print'), on: { click: () => window.print() } })),
          issued.sheet);
      }
    },
  };
  await screen.render();
  return screen;
}
