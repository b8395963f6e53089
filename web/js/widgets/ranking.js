// Ordinal ballots: the resident ranks up to max_length projects, most preferred first.  "Your
// ranking" is an ordered list whose items move with buttons (keyboard and screen readers) or by
// dragging (mouse and touch); each project not ranked yet has a button that adds it last.
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { nameNode, projectDetails, projectName } from './project.js';

/** A button's content: its visible words, then the project's name for screen readers only. */
function named(key, name) {
  return [t(key), h('span', { class: 'visually-hidden', text: ` – ${name}` })];
}

/**
 * Dragging by @handle (mouse, pen and touch alike: pointer events, since touch screens have no
 * HTML drag and drop): onDrop(index of the ranked item it is dropped on).  Keyboard and screen
 * reader users move items with the buttons instead, so the handle is hidden from them.
 */
function dragWith(handle, item, onDrop) {
  handle.addEventListener('pointerdown', (down) => {
    down.preventDefault();
    handle.setPointerCapture(down.pointerId);
    item.classList.add('dragging');
    const list = item.parentElement;
    const over = (ev) => document.elementFromPoint(ev.clientX, ev.clientY)?.closest('.ranked');
    const mark = (ev) => {
      for (const li of list.children) li.classList.toggle('drop-target', li === over(ev) && li !== item);
    };
    const end = (ev) => {
      handle.removeEventListener('pointermove', mark);
      item.classList.remove('dragging');
      for (const li of list.children) li.classList.remove('drop-target');
      const target = ev.type === 'pointerup' ? over(ev) : null;
      if (target && target !== item && target.parentElement === list) onDrop([...list.children].indexOf(target));
    };
    handle.addEventListener('pointermove', mark);
    handle.addEventListener('pointerup', end, { once: true });
    handle.addEventListener('pointercancel', end, { once: true });
  });
}

function limits(manifest) {
  const b = manifest.ballot;
  return { min: b.min_length ?? 0, max: b.max_length ?? manifest.projects.length };
}

export function init() {
  return { ranking: [] };
}

export function rules(manifest) {
  const l = limits(manifest);
  const out = [l.max < manifest.projects.length ? t('rules.rankingMax', { count: l.max }) : t('rules.rankingAll')];
  if (l.min > 0) out.push(t('rules.rankingMin', { count: l.min }));
  out.push(t('rules.rankingHow'));
  return out;
}

/** Draw the ranking anew after a change, keeping focus on the moved project's same button. */
export function render(ctx) {
  const { manifest, projects, choice } = ctx;
  const l = limits(manifest);
  const byId = new Map(projects.map((p) => [p.id, p]));
  const root = h('div', { class: 'ranking' });
  const say = (msg) => ctx.say(msg);

  const move = (from, to, focusKey) => {
    const [id] = choice.ranking.splice(from, 1);
    choice.ranking.splice(to, 0, id);
    redraw(focusKey ? `${focusKey}:${id}` : null);
    say(t('ranking.moved', { name: projectName(byId.get(id)), position: to + 1 }));
    ctx.changed();
  };

  const rankedList = () => {
    const ol = h('ol', { class: 'ranked-list' });
    choice.ranking.forEach((id, i) => {
      const p = byId.get(id);
      const name = projectName(p);
      const item = h('li', { class: 'ranked', 'data-id': id },
        h('span', { class: 'drag-handle', 'aria-hidden': 'true', text: '⠿' }),
        h('span', { class: 'rank-number', 'aria-hidden': 'true', text: `${i + 1}.` }),
        nameNode(p, { class: 'ranked-name' }),
        h('span', { class: 'rank-buttons' },
          h('button', { type: 'button', class: 'button button-secondary button-small', 'data-key': `up:${id}`, disabled: i === 0, on: { click: () => move(i, i - 1, 'up') } }, named('ranking.up', name)),
          h('button', { type: 'button', class: 'button button-secondary button-small', 'data-key': `down:${id}`, disabled: i === choice.ranking.length - 1, on: { click: () => move(i, i + 1, 'down') } }, named('ranking.down', name)),
          h('button', {
            type: 'button',
            class: 'button button-secondary button-small',
            'data-key': `remove:${id}`,
            on: {
              click: () => {
                choice.ranking.splice(i, 1);
                redraw(`add:${id}`);
                say(t('ranking.removed', { name }));
                ctx.changed();
              },
            },
          }, named('ranking.remove', name))));
      dragWith(item.querySelector('.drag-handle'), item, (to) => move(i, to, null));
      ol.append(item);
    });
    return ol;
  };

  const available = () => {
    const ul = h('ul', { class: 'project-list' });
    for (const p of projects) {
      if (choice.ranking.includes(p.id)) continue;
      const costId = uid('cost');
      const noteId = uid('note');
      const note = h('p', { class: 'project-note', id: noteId, hidden: true });
      const name = projectName(p);
      ul.append(h('li', { class: 'project', 'data-id': p.id },
        h('p', { class: 'project-name' }, nameNode(p)),
        ...projectDetails(p, manifest, costId, { links: !ctx.kiosk }),
        h('button', {
          type: 'button',
          class: 'button button-secondary',
          'data-key': `add:${p.id}`,
          'aria-describedby': `${costId} ${noteId}`,
          on: {
            click: () => {
              if (choice.ranking.length >= l.max) {
                ctx.refuse(note, t('ranking.full', { count: l.max }));
                return;
              }
              choice.ranking.push(p.id);
              redraw(`up:${p.id}`);
              say(t('ranking.added', { name, position: choice.ranking.length }));
              ctx.changed();
            },
          },
        }, named('ranking.add', name)),
        note));
    }
    return ul;
  };

  const redraw = (focusKey) => {
    root.replaceChildren(
      h('h2', { class: 'heading-medium', text: t('ranking.yours') }),
      choice.ranking.length ? rankedList() : h('p', { class: 'hint', text: t('ranking.empty') }),
      h('h2', { class: 'heading-medium', text: t('ranking.available') }),
      available(),
    );
    ctx.filterAgain?.();
    if (focusKey) {
      let target = root.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
      if (!target || target.disabled) target = root.querySelector(`[data-key$=":${CSS.escape(focusKey.split(':').slice(1).join(':'))}"]:not([disabled])`);
      target?.focus();
    }
  };
  redraw(null);
  return root;
}

export function status(ctx) {
  const l = limits(ctx.manifest);
  return {
    lines: [l.max < ctx.manifest.projects.length
      ? t('ranking.countOf', { count: ctx.choice.ranking.length, max: l.max })
      : t('ranking.count', { count: ctx.choice.ranking.length })],
    permille: null,
  };
}

export function check(ctx) {
  const l = limits(ctx.manifest);
  return ctx.choice.ranking.length < l.min ? [{ message: t('ranking.error.tooFew', { count: l.min }) }] : [];
}

export function toBallot(ctx) {
  return { ranking: [...ctx.choice.ranking] };
}

export function summary(ctx) {
  const byId = new Map(ctx.manifest.projects.map((p) => [p.id, p]));
  return {
    rows: ctx.choice.ranking.map((id, i) => ({ project: byId.get(id), detail: t('ranking.position', { position: i + 1 }) })),
    total: null,
    ordered: true,
  };
}
