// A resident's vote, from the voter code to the receipt, shared by the web voting page
// (/vote/{id}) and the kiosk (/kiosk).  Steps: welcome (kiosk only), code, ballot, review, receipt.
// A vote of several contests (the manifest's "contests") asks the server which contests the code
// is for, then shows one ballot per contest, in the manifest's order, before the one review.
// The ballot lives in this module's memory only: never in storage, cookies or the URL.  Nothing
// is cast before the explicit last step, and a ballot left half-filled is never a vote.
import { ApiError, cast, codeContests, newSubmissionId } from './api.js';
import { parseCode } from './code.js';
import { announce, clear, errorSummary, focus, h, uid } from './dom.js';
import { LANGUAGES, current, languageName, t, text } from './i18n.js';
import { projectOrder } from './order.js';
import * as approval from './widgets/approval.js';
import * as points from './widgets/points.js';
import * as ranking from './widgets/ranking.js';
import { allCategories, categoriesOf, nameNode, projectName } from './widgets/project.js';
import { canScan, scan } from './widgets/scanner.js';

/** The widget of a ballot type (docs/api.md, "Ballot"). */
export function widgetFor(manifest) {
  switch (manifest.ballot.type) {
    case 'ordinal': return ranking;
    case 'cumulative':
    case 'scoring': return points;
    default: return approval;
  }
}

/**
 * The contests of a vote, each with the manifest its ballot is drawn from: a manifest of the
 * contests form gives each contest the vote's currency, scale and order with its own projects,
 * budget and ballot, so the widgets need not know about contests; any other manifest is its own
 * one contest (id null).
 */
export function contestsOf(manifest) {
  if (!Array.isArray(manifest.contests)) return [{ id: null, title: null, optional: false, view: manifest }];
  return manifest.contests.map((c) => ({ id: c.id, title: c.title, optional: !!c.optional, view: { ...manifest, ...c } }));
}

/** The contest a refusal's field names (`$.ballots["north"].approvals[1]`), or null. */
function contestOfField(field) {
  const m = /^\$\.ballots\["([^"]+)"\]/.exec(field || '');
  return m ? m[1] : null;
}

/** Reasons a ballot's rules refused it: the resident goes back to the ballot. */
const BALLOT_REASONS = new Set(['ballot_malformed', 'unknown_project', 'duplicate_pick', 'too_few_picks', 'too_many_picks',
  'not_one_pick', 'over_budget', 'under_min_cost', 'points_missing', 'points_not_allowed', 'negative_points',
  'points_below_min', 'points_above_max', 'too_few_points', 'too_many_points', 'invalid']);
/** Reasons about the voter code: back to the code. */
const CODE_REASONS = new Set(['code_unknown', 'code_spent', 'code_malformed']);

/** The message for a refusal's reason, in the page's language. */
export function reasonMessage(reason, kiosk) {
  if ((reason === 'token_unknown' || reason === 'forbidden') && kiosk) return t('reason.kiosk');
  if (reason === 'token_unknown' || reason === 'forbidden') return t('reason.web');
  const key = `reason.${reason}`;
  const s = t(key);
  return s === key ? t('reason.unknown') : s;
}

/**
 * Start a vote in election @election (GET /v1/elections/{id}) drawn in app.main.
 * kiosk: null on the web, or {token, finish()} on an enrolled kiosk.
 * initialCode: a code handed over in the link's fragment (a scanned card), or ''.
 */
export function createFlow(app, election, { kiosk = null, initialCode = '' } = {}) {
  const manifest = election.manifest;
  const contests = contestsOf(manifest);
  const multi = contests[0].id !== null;
  // one per contest: its widget, the resident's choice, its projects in the order shown, skipped
  const slots = contests.map((c) => {
    const widget = widgetFor(c.view);
    return { widget, choice: widget.init(c.view), projects: projectOrder(c.view, ''), skipped: false };
  });
  const state = {
    step: kiosk ? 'welcome' : 'code',
    typed: initialCode,
    code: null, // canonical, once it reads right
    codeError: null, // {message} from a local check or a refusal
    allowed: multi ? [] : [0], // the contests (indexes) the code is for, once the server said
    at: 0, // the ballot shown: an index into allowed
    checking: false, // asking the server for the code's contests
    ballotErrors: [],
    category: '',
    search: '',
    submissionId: null,
    casting: null, // null, 'sending', 'offline', 'busy'
    castError: null,
    receipt: null,
  };
  const retry = new EventTarget();
  let stopScan = null;
  // read at every draw: the resident may change the language on any screen
  const title = () => text(manifest.title);
  const kindOf = (view) => ({ ordinal: 'ordinal', cumulative: 'points', scoring: 'points' }[view.ballot.type] || 'approval');
  const ctxOf = (i) => ({ manifest: contests[i].view, projects: slots[i].projects, choice: slots[i].choice });

  const caption = () => h('p', { class: 'caption', text: title() });
  const progress = (n) => h('p', { class: 'progress', text: t('flow.step', { n, total: 3 }) });

  function go(step) {
    state.step = step;
    render();
    focus(app.main.querySelector('.error-summary') || app.main.querySelector('h1'));
    window.scrollTo(0, 0);
  }

  function languagePicker() {
    const box = h('div', { class: 'language-buttons', role: 'group', 'aria-labelledby': 'language-choice' },
      h('p', { id: 'language-choice', class: 'label', text: t('flow.chooseLanguage') }));
    for (const code of LANGUAGES) {
      box.append(h('button', {
        type: 'button',
        class: 'button button-secondary',
        lang: code,
        'aria-pressed': code === current() ? 'true' : 'false',
        text: languageName(code),
        on: { click: () => app.language(code).then(() => app.main.querySelector(`.language-buttons [lang="${code}"]`)?.focus()) },
      }));
    }
    return box;
  }

  // --- welcome (kiosk) ------------------------------------------------------------------------
  function welcome() {
    app.title(title());
    app.main.append(
      h('h1', { text: title() }),
      h('p', { class: 'lead', text: t('kiosk.welcome') }),
      languagePicker(),
      h('p', {}, h('button', { type: 'button', class: 'button button-start', text: t('kiosk.start'), on: { click: () => go('code') } })),
    );
    if (kiosk.staff) app.main.append(kiosk.staff());
  }

  // --- code -----------------------------------------------------------------------------------
  function codeMessage(r) {
    switch (r.error) {
      case 'empty': return t('code.error.empty');
      case 'char': return t('code.error.char', { position: r.position });
      case 'short': return t('code.error.short', { count: r.count, want: 17 });
      case 'long': return t('code.error.long', { count: r.count, want: 17 });
      case 'last_only': return t('code.error.lastOnly');
      default: return t('code.error.check');
    }
  }

  function codeStep() {
    app.title(t('code.title'));
    const form = h('form', { class: 'form', novalidate: true });
    const errorId = 'code-error';
    const input = h('input', {
      id: 'code',
      name: 'code',
      class: `input input-code${state.codeError ? ' input-error' : ''}`,
      type: 'text',
      autocomplete: 'off',
      autocapitalize: 'characters',
      spellcheck: 'false',
      'aria-describedby': state.codeError ? `code-hint ${errorId}` : 'code-hint',
      'aria-invalid': state.codeError ? 'true' : false,
      value: state.typed,
    });
    input.addEventListener('input', () => { state.typed = input.value; });
    const field = h('div', { class: `field${state.codeError ? ' field-error' : ''}` },
      h('label', { for: 'code', class: 'label label-large', text: t('code.label') }),
      h('p', { id: 'code-hint', class: 'hint', text: t('code.hint') }),
      state.codeError ? h('p', { id: errorId, class: 'error-message', text: state.codeError.message }) : null,
      input);
    if (state.codeError) form.append(errorSummary(t('error.summary'), [{ field: 'code', message: state.codeError.message }]));
    form.append(field);
    if (canScan()) {
      const scanBox = h('div', { class: 'scanner' });
      const button = h('button', {
        type: 'button',
        class: 'button button-secondary',
        text: t('code.scan'),
        on: {
          click: async () => {
            if (stopScan) { stopScan(); stopScan = null; button.textContent = t('code.scan'); return; }
            button.textContent = t('code.scanStop');
            stopScan = await scan(scanBox, (raw) => {
              stopScan = null;
              button.textContent = t('code.scan');
              const hash = String(raw).indexOf('#code=');
              input.value = hash >= 0 ? decodeURIComponent(String(raw).slice(hash + 6)) : String(raw).trim();
              state.typed = input.value;
              announce(t('code.scanned'));
              input.focus();
            }, () => { stopScan = null; button.textContent = t('code.scan'); announce(t('code.scanUnavailable'), true); });
          },
        },
      });
      form.append(h('div', { class: 'field' }, button, scanBox));
    }
    form.append(h('div', { class: 'button-row' },
      h('button', { type: 'submit', class: 'button', text: t('common.continue') })));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (state.checking) return;
      if (stopScan) { stopScan(); stopScan = null; }
      const r = parseCode(input.value, undefined, { legacy: election.legacy_codes === true });
      if (!r.ok) {
        state.codeError = { message: codeMessage(r) };
        go('code');
        return;
      }
      state.typed = r.code;
      if (state.code !== r.code) state.submissionId = null;
      state.code = r.code;
      state.codeError = null;
      contests.forEach((c, i) => { slots[i].projects = projectOrder(c.view, r.code); });
      if (multi && !(await askContests(r.code))) return;
      go('ballot');
    });
    app.main.append(caption(), h('h1', { text: t('code.title') }), progress(1));
    if (!kiosk) app.main.append(languagePicker());
    app.main.append(form);
  }

  /** Ask the server which contests @code is for; false (the code step drawn with the refusal)
   *  when it refuses or cannot be reached. */
  async function askContests(code) {
    state.checking = true;
    try {
      const ids = await codeContests(election.id, code, kiosk?.token);
      state.allowed = contests.map((c, i) => (ids.includes(c.id) ? i : -1)).filter((i) => i >= 0);
      state.at = 0;
      state.ballotErrors = [];
      if (state.allowed.length) return true;
      state.codeError = { message: reasonMessage('contest_not_allowed', !!kiosk) }; // a code for no contest here
      go('code');
      return false;
    } catch (e) {
      state.codeError = { message: reasonMessage(e instanceof ApiError ? e.reason : 'offline', !!kiosk) };
      go('code');
      return false;
    } finally {
      state.checking = false;
    }
  }

  /** The ballot of the @at-th contest of the code, its search and category filter cleared (they
   *  were the previous contest's). */
  function toBallot(at) {
    state.at = at;
    state.ballotErrors = [];
    state.search = '';
    state.category = '';
    go('ballot');
  }

  /** After the ballot shown: the next contest's, or the review. */
  function nextBallot() {
    if (state.at + 1 < state.allowed.length) toBallot(state.at + 1);
    else go('review');
  }

  // --- ballot ---------------------------------------------------------------------------------
  function ballotStep() {
    const index = state.allowed[state.at];
    const contest = contests[index];
    const view = contest.view; // this contest's ballot: its projects, budget and limits
    const { widget } = slots[index];
    const kind = kindOf(view);
    const last = state.at + 1 >= state.allowed.length;
    app.title(multi ? text(contest.title) : t(`ballot.title.${kind}`));
    const statusBox = h('div', { class: 'ballot-status', 'aria-hidden': 'false' });
    const bar = h('div', { class: 'meter', 'aria-hidden': 'true' }, h('div', { class: 'meter-fill' }));
    const ctx = {
      ...ctxOf(index),
      kiosk: !!kiosk,
      say: (msg) => announce(msg),
      refuse(note, msg) {
        note.textContent = msg;
        note.hidden = false;
        announce(msg, true);
      },
      changed() {
        drawStatus();
        announce(widget.status(ctx).lines.join(' '));
      },
      filterAgain: () => applyFilter(),
    };
    const drawStatus = () => {
      const s = widget.status(ctx);
      statusBox.replaceChildren(...s.lines.map((line) => h('p', { class: 'status-line', text: line })));
      if (s.permille !== null) {
        bar.firstChild.style.inlineSize = `${Math.min(1000, s.permille) / 10}%`;
        statusBox.append(bar);
      }
    };
    const searchable = new Map(ctx.projects.map((p) => [p.id, {
      text: `${projectName(p)} ${text(p.description)} ${categoriesOf(p).join(' ')}`.toLocaleLowerCase(current()),
      cats: categoriesOf(p),
    }]));
    const shownLine = h('p', { class: 'hint', id: 'filter-count' });
    function applyFilter(say = false) {
      const q = state.search.trim().toLocaleLowerCase(current());
      let shown = 0;
      for (const li of app.main.querySelectorAll('li.project')) {
        const s = searchable.get(li.dataset.id);
        const ok = s && (!state.category || s.cats.includes(state.category)) && (!q || s.text.includes(q));
        li.hidden = !ok;
        if (ok) shown += 1;
      }
      shownLine.textContent = t('filter.shown', { count: shown });
      if (say) announce(shownLine.textContent);
    }
    const filters = h('div', { class: 'filters' });
    const cats = allCategories(ctx.projects, current());
    const searchInput = h('input', { id: 'search', type: 'search', class: 'input', value: state.search, autocomplete: 'off' });
    let searchTimer = null;
    searchInput.addEventListener('input', () => {
      state.search = searchInput.value;
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => applyFilter(true), 150);
    });
    filters.append(h('div', { class: 'field field-inline' }, h('label', { for: 'search', class: 'label', text: t('filter.search') }), searchInput));
    if (cats.length) {
      const select = h('select', { id: 'category', class: 'select', on: { change: (ev) => { state.category = ev.currentTarget.value; applyFilter(true); } } },
        h('option', { value: '', text: t('filter.all'), selected: !state.category }),
        ...cats.map((c) => h('option', { value: c, text: c, selected: c === state.category })));
      filters.append(h('div', { class: 'field field-inline' }, h('label', { for: 'category', class: 'label', text: t('filter.category') }), select));
    }
    filters.append(shownLine);

    if (multi) {
      // the contest's title first, then which ballot of how many, then what to do
      app.main.append(caption(), h('h1', { text: text(contest.title) }), progress(2),
        h('p', { class: 'progress', text: t('contest.progress', { n: state.at + 1, total: state.allowed.length }) }),
        h('h2', { class: 'heading-medium', text: t(`ballot.title.${kind}`) }));
      if (contest.optional) app.main.append(h('p', { class: 'hint', text: t('contest.optional') }));
    } else {
      app.main.append(caption(), h('h1', { text: t(`ballot.title.${kind}`) }), progress(2));
    }
    if (state.ballotErrors.length) app.main.append(errorSummary(t('error.summary'), state.ballotErrors));
    app.main.append(h('ul', { class: 'rules' }, ...widget.rules(view).map((r) => h('li', { text: r }))));
    app.main.append(filters, statusBox, widget.render(ctx));
    drawStatus();
    applyFilter();
    const back = () => (state.at > 0 ? toBallot(state.at - 1) : go('code'));
    app.main.append(h('div', { class: 'button-row' },
      h('button', { type: 'button', class: 'button button-secondary', text: t('common.back'), on: { click: multi ? back : () => go('code') } }),
      multi && contest.optional ? h('button', {
        type: 'button',
        class: 'button button-secondary',
        text: t('contest.skip'),
        on: { click: () => { slots[index].skipped = true; nextBallot(); } },
      }) : null,
      h('button', {
        type: 'button',
        class: 'button',
        text: multi && !last ? t('contest.next') : t('ballot.next'),
        on: {
          click: () => {
            state.ballotErrors = widget.check(ctx);
            if (state.ballotErrors.length) {
              go('ballot');
              return;
            }
            slots[index].skipped = false;
            if (multi) nextBallot();
            else go('review');
          },
        },
      })));
  }

  // --- review and cast ------------------------------------------------------------------------
  async function doCast() {
    if (state.casting) return;
    state.submissionId ||= newSubmissionId();
    state.castError = null;
    state.casting = 'sending';
    render();
    const ballots = {};
    for (const i of state.allowed) if (!slots[i].skipped) ballots[contests[i].id] = slots[i].widget.toBallot(ctxOf(i));
    try {
      const receipt = await cast(election.id, {
        code: state.code,
        ballot: multi ? undefined : slots[0].widget.toBallot(ctxOf(0)),
        ballots: multi ? ballots : undefined,
        submissionId: state.submissionId,
        token: kiosk?.token,
      }, (s) => {
        if (s !== state.casting) {
          state.casting = s;
          render();
          if (s === 'offline') announce(t('cast.offline'), true);
          if (s === 'busy') announce(t('cast.busy'));
        }
      }, { retryNow: retry });
      state.casting = null;
      state.receipt = receipt;
      state.submissionId = null;
      go('receipt');
    } catch (e) {
      state.casting = null;
      state.submissionId = null; // refused: nothing was stored, so a new attempt is a new ballot
      const reason = e instanceof ApiError ? e.reason : 'unknown';
      const message = reasonMessage(reason, !!kiosk);
      if (CODE_REASONS.has(reason)) {
        state.codeError = { message };
        go('code');
      } else if (BALLOT_REASONS.has(reason)) {
        // the ballot of the contest the refusal names (a vote of several contests)
        const at = state.allowed.findIndex((i) => contests[i].id === contestOfField(e.problem?.field));
        if (at >= 0) state.at = at;
        state.ballotErrors = [{ message }];
        go('ballot');
      } else {
        state.castError = message;
        render();
        focus(app.main.querySelector('.error-summary'));
      }
    }
  }

  /** The choices of contest @i for the review: a list and its total, or a line saying there are none. */
  function choicesOf(i, heading) {
    const s = slots[i].widget.summary(ctxOf(i));
    if (!s.rows.length) return [h('p', { class: 'warning-text', text: t('review.none') })];
    const list = h(s.ordered ? 'ol' : 'ul', { class: 'review-list' });
    for (const row of s.rows) {
      list.append(h('li', {}, nameNode(row.project, { class: 'review-name' }), h('span', { class: 'review-detail', text: row.detail })));
    }
    return [heading, list, s.total ? h('p', { class: 'review-total', text: s.total }) : null].filter(Boolean);
  }

  /** A vote of several contests: a section per contest of the code, its choices or "skipped". */
  function contestReview(i, k) {
    const name = text(contests[i].title);
    const headingId = uid('contest');
    const body = slots[i].skipped ? [h('p', { class: 'warning-text', text: t('contest.skipped') })] : choicesOf(i, null);
    return h('section', { class: 'review-contest', 'aria-labelledby': headingId },
      h('h2', { class: 'heading-medium', id: headingId, text: name }),
      ...body,
      h('p', {}, h('button', {
        type: 'button',
        class: 'button button-secondary',
        disabled: !!state.casting,
        text: t('contest.change', { title: name }),
        on: { click: () => toBallot(k) },
      })));
  }

  function reviewStep() {
    app.title(t('review.title'));
    app.main.append(caption(), h('h1', { text: t('review.title') }), progress(3));
    if (state.castError) app.main.append(errorSummary(t('error.summary'), [{ message: state.castError }]));
    if (multi) app.main.append(...state.allowed.map((i, k) => contestReview(i, k)));
    else app.main.append(...choicesOf(0, h('h2', { class: 'heading-medium', text: t('review.yourChoices') })));
    app.main.append(h('p', { class: 'warning-text', text: t('review.warning') }));
    const busy = !!state.casting;
    const panel = h('div', { class: 'cast-status', role: 'status' });
    if (state.casting === 'sending') panel.append(h('p', { text: t('review.casting') }));
    if (state.casting === 'busy') panel.append(h('p', { text: t('cast.busy') }));
    if (state.casting === 'offline') {
      panel.classList.add('cast-offline');
      panel.append(
        h('h2', { class: 'heading-medium', text: t('cast.offlineTitle') }),
        h('p', { text: t('cast.offline') }),
        h('p', { text: t(kiosk ? 'cast.offlineWhatKiosk' : 'cast.offlineWhat') }),
        h('button', { type: 'button', class: 'button button-secondary', text: t('cast.retry'), on: { click: () => retry.dispatchEvent(new Event('retry')) } }),
      );
    }
    app.main.append(panel, h('div', { class: 'button-row' },
      h('button', { type: 'button', class: 'button button-secondary', disabled: busy, text: t('review.change'), on: { click: () => (multi ? toBallot(0) : go('ballot')) } }),
      h('button', { type: 'button', class: 'button button-cast', 'aria-disabled': busy ? 'true' : false, text: t('review.cast'), on: { click: doCast } })));
  }

  // --- receipt --------------------------------------------------------------------------------
  function receiptStep() {
    const r = state.receipt;
    app.title(t('receipt.title'));
    const link = `${location.origin}/receipt#e=${encodeURIComponent(r.election)}&c=${r.commitment}`;
    const codeId = uid('receipt');
    app.main.append(
      h('div', { class: 'panel-success' },
        h('h1', { text: t('receipt.title') }),
        h('p', { class: 'lead', text: t('receipt.thanks') })),
      h('section', { class: 'receipt', 'aria-labelledby': codeId },
        h('h2', { class: 'heading-medium', id: codeId, text: t('receipt.heading') }),
        // which vote: the receipt page checks a code in the vote the resident picks there
        h('p', { class: 'receipt-vote' }, h('span', { class: 'receipt-label', text: t('receipt.vote') }), ' ',
          h('strong', { text: title() })),
        h('p', { class: 'receipt-line' }, h('span', { class: 'receipt-label', text: t('receipt.code') }), ' ',
          h('strong', { class: 'short-code', text: r.short_code })),
        h('div', { class: 'receipt-qr' }),
        // the address isolated (U+2068 ... U+2069), so that a right-to-left sentence keeps it whole
        h('p', { class: 'receipt-how', text: t('receipt.how', { address: `\u2068${location.host}/receipt\u2069` }) }),
        h('p', { class: 'receipt-commitment' }, h('span', { text: t('receipt.commitment') }), ' ', h('code', { text: r.commitment }))),
      h('div', { class: 'button-row no-print' },
        h('button', { type: 'button', class: 'button button-secondary', text: t('receipt.print'), on: { click: () => window.print() } }),
        h('button', { type: 'button', class: 'button', text: t(kiosk ? 'receipt.doneKiosk' : 'receipt.done'), on: { click: () => finish() } })),
    );
    import('./widgets/qr.js').then(({ qrSvg }) => {
      app.main.querySelector('.receipt-qr')?.append(qrSvg(link, t('receipt.qr')));
    });
  }

  function finish() {
    if (kiosk) kiosk.finish();
    else location.replace(`/vote/${encodeURIComponent(election.id)}`);
  }

  function render() {
    clear(app.main);
    switch (state.step) {
      case 'welcome': welcome(); break;
      case 'code': codeStep(); break;
      case 'ballot': ballotStep(); break;
      case 'review': reviewStep(); break;
      default: receiptStep(); break;
    }
  }

  return { render, state, go, busy: () => !!state.casting };
}
