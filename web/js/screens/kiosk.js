// /kiosk: a physical voting kiosk.  Staff enrol it once (the kiosk token of one election, kept in
// this browser's localStorage and nowhere else); then residents vote one after another.  After each
// vote, or after a period without input (with a warning a touch extends), the page loads itself
// anew: nothing of the previous resident stays in the page, the history or storage.
import { checkKioskToken, getElection, listElections } from '../api.js';
import { announce, clear, errorSummary, focus, h } from '../dom.js';
import { createFlow } from '../flow.js';
import { current, negotiate, t, text } from '../i18n.js';

const KEY = 'pbvote.kiosk';
const DEFAULT_IDLE_S = 120;
const WARN_S = 30;

function loadConfig() {
  try {
    const c = JSON.parse(localStorage.getItem(KEY));
    return c && typeof c.token === 'string' && typeof c.election === 'string' ? c : null;
  } catch {
    return null;
  }
}

/** Start again for the next resident: a fresh page replacing this one in the history. */
function reset() {
  sessionStorage.clear();
  location.replace('/kiosk');
}

// --- enrolment (staff) ------------------------------------------------------------------------
async function setup(app) {
  let elections = [];
  try {
    elections = (await listElections()).filter((e) => e.state === 'open' || e.state === 'suspended' || e.state === 'draft');
  } catch {
    elections = [];
  }
  const form = { election: elections[0]?.id || '', token: '', idle: String(DEFAULT_IDLE_S), errors: [] };
  const screen = {
    render() {
      clear(app.main);
      app.title(t('kiosk.setup.title'));
      const f = h('form', { class: 'form', novalidate: true });
      if (form.errors.length) f.append(errorSummary(t('error.summary'), form.errors));
      const select = h('select', { id: 'kiosk-election', class: 'select', on: { change: (ev) => { form.election = ev.currentTarget.value; } } },
        ...elections.map((e) => h('option', { value: e.id, selected: e.id === form.election, text: text(e.title) })));
      const token = h('input', { id: 'kiosk-token', class: 'input', type: 'password', autocomplete: 'off', spellcheck: 'false', value: form.token, 'aria-describedby': 'kiosk-token-hint' });
      token.addEventListener('input', () => { form.token = token.value.trim(); });
      const idle = h('input', { id: 'kiosk-idle', class: 'input input-short', type: 'number', min: 5, max: 3600, step: 1, inputmode: 'numeric', value: form.idle, 'aria-describedby': 'kiosk-idle-hint' });
      idle.addEventListener('input', () => { form.idle = idle.value; });
      f.append(
        h('div', { class: 'field' }, h('label', { for: 'kiosk-election', class: 'label', text: t('kiosk.setup.election') }), select),
        h('div', { class: 'field' }, h('label', { for: 'kiosk-token', class: 'label', text: t('kiosk.setup.token') }),
          h('p', { id: 'kiosk-token-hint', class: 'hint', text: t('kiosk.setup.tokenHint') }), token),
        h('div', { class: 'field' }, h('label', { for: 'kiosk-idle', class: 'label', text: t('kiosk.setup.idle') }),
          h('p', { id: 'kiosk-idle-hint', class: 'hint', text: t('kiosk.setup.idleHint') }), idle),
        h('div', { class: 'button-row' }, h('button', { type: 'submit', class: 'button', text: t('kiosk.setup.submit') })),
      );
      f.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        form.errors = [];
        const seconds = Number(form.idle);
        if (!form.election) form.errors.push({ field: 'kiosk-election', message: t('kiosk.setup.error.election') });
        if (!/^[0-9a-f]{64}$/.test(form.token)) form.errors.push({ field: 'kiosk-token', message: t('kiosk.setup.error.token') });
        if (!Number.isInteger(seconds) || seconds < 5 || seconds > 3600) form.errors.push({ field: 'kiosk-idle', message: t('kiosk.setup.error.idle') });
        if (!form.errors.length) {
          let ok = false;
          try {
            ok = await checkKioskToken(form.election, form.token);
          } catch {
            form.errors.push({ field: 'kiosk-token', message: t('reason.offline') });
          }
          if (!ok && !form.errors.length) form.errors.push({ field: 'kiosk-token', message: t('kiosk.setup.error.notKiosk') });
        }
        if (form.errors.length) {
          screen.render();
          focus(app.main.querySelector('.error-summary'));
          return;
        }
        localStorage.setItem(KEY, JSON.stringify({ election: form.election, token: form.token, idle_s: seconds }));
        reset();
      });
      app.main.append(h('h1', { text: t('kiosk.setup.title') }), h('p', { class: 'lead', text: t('kiosk.setup.intro') }), f);
    },
  };
  screen.render();
  return screen;
}

// --- inactivity -------------------------------------------------------------------------------
/**
 * After @idleS seconds without input, warn for WARN_S seconds (a modal dialog a touch or a key
 * dismisses), then reset.  Nothing to clear (the welcome screen as it started) means no warning.
 */
function watchIdle(app, flow, idleS) {
  let timer = null;
  let tick = null;
  let dialog = null;
  const pristine = () => flow.state.step === 'welcome' && current() === negotiate()
    && !document.documentElement.classList.contains('large-text')
    && !document.documentElement.classList.contains('high-contrast');
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(warn, idleS * 1000);
  };
  const close = () => {
    clearInterval(tick);
    const d = dialog;
    dialog = null;
    d?.close();
    d?.remove();
    arm();
  };
  function warn() {
    if (pristine() || flow.state.casting === 'sending') {
      arm();
      return;
    }
    let left = Math.min(WARN_S, idleS);
    const body = h('p', { id: 'idle-body' });
    const say = () => { body.textContent = t('kiosk.idle.body', { count: left }); };
    say();
    dialog = h('dialog', { class: 'dialog', role: 'alertdialog', 'aria-labelledby': 'idle-title', 'aria-describedby': 'idle-body' },
      h('h2', { id: 'idle-title', class: 'heading-medium', text: t('kiosk.idle.title') }), body,
      h('button', { type: 'button', class: 'button', text: t('kiosk.idle.continue'), on: { click: close } }));
    dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); close(); });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector('button').focus();
    tick = setInterval(() => {
      left -= 1;
      if (left <= 0) {
        clearInterval(tick);
        reset();
        return;
      }
      say();
    }, 1000);
  }
  for (const ev of ['pointerdown', 'keydown', 'input', 'wheel', 'touchstart', 'scroll']) {
    window.addEventListener(ev, () => { if (!dialog) arm(); }, { capture: true, passive: true });
  }
  arm();
}

// --- the kiosk --------------------------------------------------------------------------------
/** Staff only: forget this kiosk's enrolment after the token is typed again. */
function staffArea(app, config) {
  const details = h('details', { class: 'staff' }, h('summary', { text: t('kiosk.staff.title') }));
  const input = h('input', { id: 'staff-token', class: 'input', type: 'password', autocomplete: 'off' });
  const error = h('p', { class: 'error-message', id: 'staff-error', hidden: true });
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'staff-token', class: 'label', text: t('kiosk.setup.token') }), error, input),
    h('button', { type: 'submit', class: 'button button-secondary', text: t('kiosk.staff.remove') }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (input.value.trim() !== config.token) {
      error.textContent = t('kiosk.staff.wrong');
      error.hidden = false;
      input.setAttribute('aria-describedby', 'staff-error');
      announce(error.textContent, true);
      return;
    }
    localStorage.removeItem(KEY);
    reset();
  });
  details.append(form);
  return details;
}

export async function start(app) {
  const config = loadConfig();
  if (!config) return setup(app);
  sessionStorage.clear();
  let election;
  try {
    election = await getElection(config.election);
  } catch {
    election = null;
  }
  if (!election || election.state !== 'open') {
    const screen = {
      render() {
        clear(app.main);
        app.title(t('kiosk.closed.title'));
        app.main.append(h('h1', { text: t('kiosk.closed.title') }), h('p', { text: t(election ? 'reason.not_open' : 'reason.offline') }),
          staffArea(app, config));
      },
    };
    screen.render();
    setTimeout(reset, 30000); // the election may open, or the server come back
    return screen;
  }
  const flow = createFlow(app, election, {
    kiosk: { token: config.token, finish: reset, staff: () => staffArea(app, config) },
  });
  flow.render();
  watchIdle(app, flow, config.idle_s || DEFAULT_IDLE_S);
  return flow;
}
