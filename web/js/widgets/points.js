// Points ballots: cumulative (share up to max_sum_points among the projects, at most max_points
// each) and scoring (a score from min_points to max_points for each project; a project left
// unscored gets the election's default score when counted).  Each project has a number field
// labelled with its name and buttons for fewer and more points; the total can never pass the
// limit, and the page says why when a value is cut back.
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { nameNode, projectDetails, projectName } from './project.js';

function limits(manifest) {
  const b = manifest.ballot;
  const cumulative = b.type === 'cumulative';
  return {
    cumulative,
    minPoints: b.min_points ?? 0,
    maxPoints: b.max_points ?? (cumulative ? b.max_sum_points : null),
    maxSum: b.max_sum_points ?? null,
    minSum: b.min_sum_points ?? null,
    min: b.min_length ?? 0,
    max: b.max_length ?? manifest.projects.length,
    defaultScore: b.default_score ?? null,
  };
}

export function init() {
  return { points: new Map() };
}

function total(choice) {
  let s = 0;
  for (const v of choice.points.values()) s += v;
  return s;
}

/** Projects that carry points on the ballot: any value for scoring, above zero for cumulative. */
function given(ctx) {
  const l = limits(ctx.manifest);
  return [...ctx.choice.points.entries()].filter(([, v]) => !l.cumulative || v > 0);
}

export function rules(manifest) {
  const l = limits(manifest);
  const out = [];
  if (l.cumulative) {
    out.push(t('rules.cumulative', { count: l.maxSum }));
    if (l.maxPoints !== null && l.maxPoints < l.maxSum) out.push(t('rules.perProject', { count: l.maxPoints }));
  } else {
    out.push(t('rules.scoring', { min: l.minPoints, max: l.maxPoints ?? l.maxSum ?? 10 }));
    if (l.defaultScore !== null) out.push(t('rules.defaultScore', { score: l.defaultScore }));
    if (l.maxSum !== null) out.push(t('rules.maxSum', { count: l.maxSum }));
  }
  if (l.max < manifest.projects.length) out.push(t('rules.pointsMaxProjects', { count: l.max }));
  if (l.min > 0) out.push(t('rules.pointsMinProjects', { count: l.min }));
  return out;
}

/** The most @p may have now: its own cap, and for a total limit what the others leave. */
function ceiling(ctx, p) {
  const l = limits(ctx.manifest);
  let cap = l.maxPoints ?? Number.MAX_SAFE_INTEGER;
  if (l.maxSum !== null) cap = Math.min(cap, l.maxSum - (total(ctx.choice) - (ctx.choice.points.get(p.id) ?? 0)));
  return cap;
}

export function render(ctx) {
  const { manifest, projects, choice } = ctx;
  const l = limits(manifest);
  const fieldset = h('fieldset', { class: 'ballot' },
    h('legend', { class: 'ballot-legend', text: t(l.cumulative ? 'ballot.legendCumulative' : 'ballot.legendScoring') }));
  const list = h('ul', { class: 'project-list' });
  for (const p of projects) {
    const id = `points-${p.id.replace(/[^A-Za-z0-9_-]/g, '_')}-${uid('p')}`;
    const costId = `${id}-cost`;
    const noteId = `${id}-note`;
    const note = h('p', { class: 'project-note', id: noteId, hidden: true });
    const value = choice.points.get(p.id);
    const input = h('input', {
      type: 'number',
      id,
      class: 'input input-points',
      inputmode: 'numeric',
      min: l.minPoints,
      max: l.maxPoints ?? false,
      step: 1,
      value: value ?? '',
      placeholder: l.cumulative ? '0' : false,
      'aria-describedby': `${costId} ${noteId}`,
    });
    const set = (raw) => {
      note.hidden = true;
      if (raw === '' || raw === null) {
        choice.points.delete(p.id);
        input.value = '';
        ctx.changed();
        return;
      }
      let v = Math.trunc(Number(raw));
      if (!Number.isFinite(v)) v = 0;
      let why = null;
      if (v < l.minPoints) {
        v = l.minPoints;
        why = t('points.atLeast', { count: l.minPoints });
      }
      const cap = ceiling(ctx, p);
      if (v > cap) {
        why = l.maxPoints !== null && cap === l.maxPoints
          ? t('points.perProjectCap', { count: l.maxPoints, name: projectName(p) })
          : t('points.totalCap', { count: l.maxSum, allowed: Math.max(cap, 0), name: projectName(p) });
        v = Math.max(cap, l.cumulative ? 0 : l.minPoints);
      }
      const carries = !l.cumulative || v > 0;
      const isNew = !(choice.points.get(p.id) > 0) && (l.cumulative || !choice.points.has(p.id));
      if (carries && isNew && given(ctx).length >= l.max) {
        input.value = choice.points.has(p.id) ? String(choice.points.get(p.id)) : '';
        ctx.refuse(note, t('points.tooMany', { count: l.max, name: projectName(p) }));
        return;
      }
      if (carries) choice.points.set(p.id, v);
      else choice.points.delete(p.id);
      input.value = String(v);
      if (why) ctx.refuse(note, why);
      ctx.changed();
    };
    input.addEventListener('change', () => set(input.value.trim()));
    const step = (d) => {
      const now = choice.points.get(p.id);
      set(String((now ?? (l.cumulative ? 0 : l.minPoints - d)) + d));
    };
    const less = h('button', { type: 'button', class: 'button button-secondary button-step', 'aria-label': t('points.less', { name: projectName(p) }), text: '−', on: { click: () => step(-1) } });
    const more = h('button', { type: 'button', class: 'button button-secondary button-step', 'aria-label': t('points.more', { name: projectName(p) }), text: '+', on: { click: () => step(1) } });
    const label = h('label', { for: id, class: 'project-name' },
      h('span', { class: 'visually-hidden', text: `${t(l.cumulative ? 'points.label' : 'score.label')} ` }), nameNode(p));
    list.append(h('li', { class: 'project', 'data-id': p.id },
      label,
      ...projectDetails(p, manifest, costId, { links: !ctx.kiosk }),
      h('div', { class: 'stepper' }, less, input, more),
      note));
  }
  fieldset.append(list);
  return fieldset;
}

export function status(ctx) {
  const l = limits(ctx.manifest);
  const lines = [t('points.projects', { count: given(ctx).length })];
  let permille = null;
  if (l.maxSum !== null) {
    const used = total(ctx.choice);
    lines.push(t('points.left', { count: l.maxSum - used }));
    permille = Math.trunc((used * 1000) / (l.maxSum || 1));
  }
  return { lines, permille };
}

export function check(ctx) {
  const l = limits(ctx.manifest);
  const errors = [];
  const n = given(ctx).length;
  if (n < l.min) errors.push({ message: t('points.error.tooFew', { count: l.min }) });
  if (l.minSum !== null && total(ctx.choice) < l.minSum) errors.push({ message: t('points.error.minSum', { count: l.minSum }) });
  return errors;
}

export function toBallot(ctx) {
  const points = {};
  for (const p of ctx.manifest.projects) {
    const v = ctx.choice.points.get(p.id);
    if (v !== undefined && (v > 0 || ctx.manifest.ballot.type === 'scoring')) points[p.id] = v;
  }
  return { points };
}

export function summary(ctx) {
  const { projects, choice } = ctx;
  const l = limits(ctx.manifest);
  const rows = projects.filter((p) => choice.points.has(p.id) && (!l.cumulative || choice.points.get(p.id) > 0))
    .map((p) => ({ project: p, detail: t('points.value', { count: choice.points.get(p.id) }) }));
  return { rows, total: rows.length ? t('points.total', { count: total(choice) }) : null };
}
