// Approval ballots (approval, choose-1, and knapsack approval with a cost limit): a checkbox per
// project (a radio button for choose-1) whose label is the project's name.  A pick that would break
// a limit (too many projects, over the cost limit) is refused at once, and the page says why, on
// the project and to screen readers; the budget meter shows what is left.
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { formatMoney, sumCost } from '../money.js';
import { nameNode, projectDetails, projectName } from './project.js';

/** The limits of the manifest's ballot, picks and money (BigInt, minor units). */
export function limits(manifest) {
  const b = manifest.ballot;
  const one = b.type === 'choose-1';
  return {
    one,
    min: one ? 1 : b.min_length ?? 0,
    max: one ? 1 : b.max_length ?? manifest.projects.length,
    maxCost: b.max_sum_cost !== undefined ? BigInt(b.max_sum_cost) : null,
    minCost: b.min_sum_cost !== undefined ? BigInt(b.min_sum_cost) : null,
  };
}

export function init() {
  return { picks: new Set() };
}

/** The rules of this ballot, one sentence each, for the top of the ballot. */
export function rules(manifest) {
  const l = limits(manifest);
  const out = [];
  if (l.one) out.push(t('rules.choose1'));
  else if (l.min > 0 && l.max < manifest.projects.length) out.push(t('rules.approvalRange', { min: l.min, max: l.max, count: l.max }));
  else if (l.max < manifest.projects.length) out.push(t('rules.approvalMax', { count: l.max }));
  else if (l.min > 0) out.push(t('rules.approvalMin', { count: l.min }));
  else out.push(t('rules.approvalAny'));
  if (l.maxCost !== null) out.push(t('rules.maxCost', { limit: formatMoney(l.maxCost, manifest) }));
  if (l.minCost !== null) out.push(t('rules.minCost', { min: formatMoney(l.minCost, manifest) }));
  return out;
}

function left(ctx) {
  const l = limits(ctx.manifest);
  return l.maxCost === null ? null : l.maxCost - sumCost(ctx.manifest, ctx.choice.picks);
}

/** The ballot's controls: a fieldset of projects, each with its checkbox (or radio button). */
export function render(ctx) {
  const { manifest, projects, choice } = ctx;
  const l = limits(manifest);
  const fieldset = h('fieldset', { class: 'ballot' },
    h('legend', { class: 'ballot-legend', text: t(l.one ? 'ballot.legendOne' : 'ballot.legendApproval') }));
  const list = h('ul', { class: 'project-list' });
  const notes = new Map();
  const refresh = () => {
    const rest = left(ctx);
    for (const p of projects) {
      const note = notes.get(p.id);
      const fits = rest === null || choice.picks.has(p.id) || BigInt(p.cost) <= rest;
      note.textContent = fits ? '' : t('budget.doesNotFit', { left: formatMoney(rest, manifest) });
      note.hidden = fits;
      note.closest('li').classList.toggle('project-nofit', !fits);
    }
  };
  for (const p of projects) {
    const id = `choice-${p.id.replace(/[^A-Za-z0-9_-]/g, '_')}-${uid('c')}`;
    const costId = `${id}-cost`;
    const noteId = `${id}-note`;
    const input = h('input', {
      type: l.one ? 'radio' : 'checkbox',
      name: 'choice',
      id,
      value: p.id,
      class: l.one ? 'radio' : 'checkbox',
      checked: choice.picks.has(p.id),
      'aria-describedby': `${costId} ${noteId}`,
    });
    const note = h('p', { class: 'project-note', id: noteId, hidden: true });
    notes.set(p.id, note);
    input.addEventListener('change', () => {
      if (!input.checked) {
        choice.picks.delete(p.id);
      } else if (l.one) {
        choice.picks = new Set([p.id]);
      } else if (choice.picks.size >= l.max) {
        input.checked = false;
        ctx.refuse(note, t('ballot.tooMany', { count: l.max, name: projectName(p) }));
        return;
      } else if (l.maxCost !== null && sumCost(manifest, [...choice.picks, p.id]) > l.maxCost) {
        input.checked = false;
        ctx.refuse(note, t('budget.noFit', {
          name: projectName(p),
          cost: formatMoney(p.cost, manifest),
          left: formatMoney(left(ctx), manifest),
        }));
        return;
      } else {
        choice.picks.add(p.id);
      }
      refresh();
      ctx.changed();
    });
    const label = h('label', { for: id, class: 'project-name' }, nameNode(p));
    list.append(h('li', { class: 'project', 'data-id': p.id },
      h('div', { class: 'choice' }, input, label),
      ...projectDetails(p, manifest, costId, { links: !ctx.kiosk }),
      note));
  }
  fieldset.append(list);
  refresh();
  return fieldset;
}

/** The live status: picks, and for a cost limit what is spent and left (text and a bar). */
export function status(ctx) {
  const { manifest, choice } = ctx;
  const l = limits(manifest);
  const lines = [l.max < manifest.projects.length && !l.one
    ? t('ballot.countOf', { count: choice.picks.size, max: l.max })
    : t('ballot.count', { count: choice.picks.size })];
  let permille = null;
  if (l.maxCost !== null) {
    const spent = sumCost(manifest, choice.picks);
    lines.push(t('budget.used', { spent: formatMoney(spent, manifest), limit: formatMoney(l.maxCost, manifest) }));
    lines.push(t('budget.left', { left: formatMoney(l.maxCost - spent, manifest) }));
    permille = Number((spent * 1000n) / (l.maxCost || 1n)); // the bar's length only
  }
  return { lines, permille };
}

/** What keeps the ballot from being cast: [{field, message}]. */
export function check(ctx) {
  const { manifest, choice } = ctx;
  const l = limits(manifest);
  const errors = [];
  if (choice.picks.size < l.min) errors.push({ message: l.one ? t('ballot.error.none') : t('ballot.error.tooFew', { count: l.min }) });
  if (l.minCost !== null && sumCost(manifest, choice.picks) < l.minCost) {
    errors.push({ message: t('ballot.error.underBudget', { min: formatMoney(l.minCost, manifest) }) });
  }
  return errors;
}

/** The ballot as the API takes it. */
export function toBallot(ctx) {
  return { approvals: ctx.manifest.projects.filter((p) => ctx.choice.picks.has(p.id)).map((p) => p.id) };
}

/** The review: [{project, detail}] in the order shown, and a total line. */
export function summary(ctx) {
  const { manifest, projects, choice } = ctx;
  const rows = projects.filter((p) => choice.picks.has(p.id))
    .map((p) => ({ project: p, detail: formatMoney(p.cost, manifest) }));
  const total = t('review.total', { cost: formatMoney(sumCost(manifest, choice.picks), manifest) });
  return { rows, total: rows.length ? total : null };
}
