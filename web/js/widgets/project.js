// One project as a resident sees it: name, cost, category, description, picture and link, each
// in the page's language where the manifest gives it per language.
import { h } from '../dom.js';
import { t, text, textLang } from '../i18n.js';
import { formatMoney } from '../money.js';

/** The categories of a project: a manifest's category may list several, comma-separated. */
export function categoriesOf(p) {
  const raw = typeof p.category === 'string' ? p.category : text(p.category);
  return raw ? raw.split(',').map((c) => c.trim()).filter(Boolean) : [];
}

/** Every category of @projects once, sorted for the page's language. */
export function allCategories(projects, lang) {
  const set = new Set();
  for (const p of projects) for (const c of categoriesOf(p)) set.add(c);
  return [...set].sort(new Intl.Collator(lang).compare);
}

/** The project's name in the page's language (a project may have no name: its id then). */
export function projectName(p) {
  return text(p.name) || p.id;
}

/** A span with the name, marked with its language when it falls back to another one. */
export function nameNode(p, attrs = {}) {
  const lang = textLang(p.name);
  return h('span', { ...attrs, lang: lang || false, text: projectName(p) });
}

/**
 * The details under a project's control: cost (its id is @costId, for aria-describedby),
 * categories, picture, description and link (not on a kiosk: a resident must not leave the vote
 * for another site there, nor leave anything behind in the kiosk's browser).
 */
export function projectDetails(p, manifest, costId, { links = true } = {}) {
  const parts = [h('p', { class: 'project-cost', id: costId, text: t('project.cost', { cost: formatMoney(p.cost, manifest) }) })];
  const cats = categoriesOf(p);
  if (cats.length) parts.push(h('p', { class: 'project-category', text: t('project.category', { category: cats.join(', ') }) }));
  const image = text(p.image);
  if (image) {
    parts.push(h('img', { class: 'project-image', src: image, alt: text(p.image_alt) || '', loading: 'lazy', decoding: 'async' }));
  }
  const desc = text(p.description);
  if (desc) {
    parts.push(h('details', { class: 'project-description' },
      h('summary', {}, t('project.details'), h('span', { class: 'visually-hidden', text: `: ${projectName(p)}` })),
      h('p', { lang: textLang(p.description) || false, text: desc })));
  }
  const url = text(p.url);
  if (links && url && /^https?:\/\//i.test(url)) {
    parts.push(h('p', {}, h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: t('project.more', { name: projectName(p) }) })));
  }
  return parts;
}
