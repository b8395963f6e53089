// "/receipt": a resident checks that their ballot is in the ballot log (issue 13).  They type the
// receipt code (the short code), or arrive from the receipt's QR code (#e=<election>&c=<commitment>);
// the page fetches the receipt's inclusion proof and checks it in the browser (web/js/verify.js)
// against the checkpoint signed by the election's engine key from its manifest.  Nothing here shows
// or proves what is on the ballot: the log holds commitments only.
import { ApiError, getElection, getReceipt, listElections } from '../api.js';
import { clear, focus, h, uid } from '../dom.js';
import { num, t, text } from '../i18n.js';
import { VerifyError, checkInclusion, cryptoAvailable } from '../verify.js';

const SHORT_CODE = /^[0-9A-HJKMNP-TV-Z]{10}$/;

/** The typed receipt code in its printed form, or null: case, spaces, dashes, O/0 and I/L/1 forgiven. */
export function readShortCode(typed) {
  const s = String(typed || '').toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return SHORT_CODE.test(s) ? s : null;
}

/** What the QR code of a receipt links to: {election, commitment} from "#e=...&c=...". */
function fromHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const c = p.get('c');
  return { election: p.get('e') || '', commitment: c && /^[0-9a-f]{64}$/.test(c) ? c : '' };
}

/** Check the receipt named by @which in election @id: the state to show. */
async function check(id, which) {
  let election;
  try {
    election = await getElection(id);
  } catch (e) {
    return { status: 'error', message: t(`reason.${e instanceof ApiError ? e.reason : 'offline'}`) };
  }
  const key = election.manifest?.keys?.engine;
  if (!key) return { status: 'error', message: t('check.noKey') };
  if (!(await cryptoAvailable())) return { status: 'error', message: t('check.crypto') };
  let answer;
  try {
    answer = await getReceipt(id, which);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return { status: 'notfound' };
    if (e instanceof ApiError && e.status === 409) return { status: 'error', message: t('check.ambiguous') };
    return { status: 'error', message: t(`reason.${e instanceof ApiError ? e.reason : 'offline'}`) };
  }
  const commitment = which.commitment || answer.commitment;
  try {
    const r = await checkInclusion(answer, commitment, id, key, which.shortCode || null);
    return { ...r, status: r.pending ? 'pending' : 'ok', commitment };
  } catch (e) {
    if (!(e instanceof VerifyError)) throw e;
    return { status: 'bad', why: t(`verify.${e.reason}`) };
  }
}

function resultPanel(r) {
  const headingId = uid('check');
  const heading = (key) => h('h2', { class: 'heading-medium', id: headingId, tabindex: '-1', text: t(key) });
  switch (r.status) {
    case 'ok':
      return h('section', { class: 'panel-ok check-result', 'aria-labelledby': headingId },
        heading('check.okTitle'),
        h('p', { text: t('check.ok', { index: num(r.index + 1), size: num(r.size) }) }),
        h('p', { class: 'check-key', text: t('check.key', { key: `\u2068${r.key}\u2069` }) }),
        h('p', { class: 'check-commitment' }, h('span', { text: t('check.commitment') }), ' ', h('code', { text: r.commitment })),
        h('p', { text: t('check.private') }));
    case 'pending':
      return h('section', { class: 'panel check-result', 'aria-labelledby': headingId },
        heading('check.pendingTitle'), h('p', { text: t('check.pending') }));
    case 'notfound':
      return h('section', { class: 'panel-error check-result', 'aria-labelledby': headingId },
        heading('check.notFoundTitle'), h('p', { text: t('check.notFound') }));
    case 'bad':
      return h('section', { class: 'panel-error check-result', 'aria-labelledby': headingId },
        heading('check.badTitle'), h('p', { text: t('check.bad', { why: r.why }) }));
    default:
      return h('section', { class: 'panel-error check-result', 'aria-labelledby': headingId },
        heading('common.error'), h('p', { text: r.message }));
  }
}

export async function start(app) {
  const given = fromHash();
  const state = { election: given.election, typed: '', codeError: null, result: null, checking: false };
  let elections = [];
  let failed = false;
  try {
    elections = (await listElections()).filter((e) => !['draft', 'unavailable'].includes(e.state));
  } catch (e) {
    failed = true;
  }
  if (!state.election && elections.length) state.election = elections[0].id;

  async function run(which) {
    state.checking = true;
    state.result = null;
    screen.render();
    state.result = await check(state.election, which);
    state.checking = false;
    screen.render();
    focus(app.main.querySelector('.check-result h2'));
  }

  function form() {
    const f = h('form', { class: 'form no-print', novalidate: true });
    const select = h('select', { id: 'check-election', class: 'select', on: { change: (ev) => { state.election = ev.currentTarget.value; } } });
    for (const e of elections) select.append(h('option', { value: e.id, selected: e.id === state.election, text: text(e.title) || e.id }));
    const errorId = 'check-code-error';
    const input = h('input', {
      id: 'check-code',
      class: `input input-code${state.codeError ? ' input-error' : ''}`,
      type: 'text',
      autocomplete: 'off',
      autocapitalize: 'characters',
      spellcheck: 'false',
      'aria-describedby': state.codeError ? `check-code-hint ${errorId}` : 'check-code-hint',
      'aria-invalid': state.codeError ? 'true' : false,
      value: state.typed,
      on: { input: (ev) => { state.typed = ev.currentTarget.value; } },
    });
    f.append(
      h('div', { class: 'field' }, h('label', { for: 'check-election', class: 'label', text: t('check.election') }), select),
      h('div', { class: `field${state.codeError ? ' field-error' : ''}` },
        h('label', { for: 'check-code', class: 'label label-large', text: t('check.code') }),
        h('p', { id: 'check-code-hint', class: 'hint', text: t('check.codeHint') }),
        state.codeError ? h('p', { id: errorId, class: 'error-message', text: state.codeError }) : null,
        input),
      h('div', { class: 'button-row' }, h('button', { type: 'submit', class: 'button', disabled: state.checking, text: t('check.submit') })));
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const code = readShortCode(state.typed);
      state.codeError = code ? null : t('check.codeInvalid');
      if (!code) {
        screen.render();
        focus(document.getElementById('check-code'));
        return;
      }
      run({ shortCode: code });
    });
    return f;
  }

  const screen = {
    render() {
      clear(app.main);
      app.title(t('check.title'));
      app.main.append(h('h1', { text: t('check.title') }), h('p', { class: 'lead', text: t('check.intro') }));
      if (failed) {
        app.main.append(h('p', { class: 'error-text', text: t('reason.offline') }));
        return;
      }
      if (!elections.length) {
        app.main.append(h('p', { text: t('check.noElections') }));
        return;
      }
      app.main.append(form());
      const status = h('div', { role: 'status', class: 'check-status' });
      if (state.checking) status.append(h('p', { text: t('check.checking') }));
      app.main.append(status);
      if (state.result) app.main.append(resultPanel(state.result));
    },
  };
  screen.render();
  if (given.commitment && state.election) run({ commitment: given.commitment });
  return screen;
}
