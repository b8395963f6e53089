// Small DOM helpers shared by every screen: element creation, the live regions, focus.
// Text is always set as text (never as HTML), so nothing a manifest says can become markup.

/**
 * Create an element.  attrs: {class, text, on: {event: fn}, ...attributes}; a false, null or
 * undefined attribute is left out, true sets it empty.  children: nodes or strings (as text).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'text') el.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** Remove every child of @el. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

let idCounter = 0;
/** A fresh id for label/description wiring. */
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/**
 * Say @msg to screen readers: politely (status changes: the budget meter, points left) or at once
 * (assertive: errors).  The regions live in index.html; the text is replaced after a tick so the
 * same message said twice is announced twice.
 */
export function announce(msg, assertive = false) {
  const region = document.getElementById(assertive ? 'alert' : 'status');
  if (!region) return;
  region.textContent = '';
  setTimeout(() => { region.textContent = msg; }, 50);
}

/** Move focus to @el (a heading or an error summary) so keyboard and screen reader users follow. */
export function focus(el) {
  if (!el) return;
  if (!el.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
    el.setAttribute('tabindex', '-1');
  }
  el.focus({ preventScroll: false });
}

/**
 * An error summary (GOV.UK pattern): a titled box at the top listing each problem as a link to its
 * field.  errors: [{field: element or id, message}].  Returns the box (focus it).
 */
export function errorSummary(title, errors) {
  const list = h('ul', { class: 'error-list' });
  for (const e of errors) {
    const id = typeof e.field === 'string' ? e.field : e.field?.id;
    const item = id
      ? h('a', {
        href: `#${id}`,
        text: e.message,
        on: {
          click: (ev) => {
            ev.preventDefault();
            document.getElementById(id)?.focus();
          },
        },
      })
      : document.createTextNode(e.message);
    list.append(h('li', {}, item));
  }
  const heading = h('h2', { class: 'error-summary-title', text: title });
  return h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' }, heading, list);
}
