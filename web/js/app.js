// The app shell: the settings every screen shares (language, larger text, high contrast) and the
// router.  Each page is a path (served with this shell by api/h_pages.c) and a screen module,
// loaded when first needed; a new page (results, receipt check) adds one line here and one in
// api/h_pages.c, and nothing else changes.
import { LANGUAGES, languageName, negotiate, onLanguage, setLanguage, t, current } from './i18n.js';
import { clear, h } from './dom.js';

const ROUTES = [
  { path: /^\/$/, load: () => import('./screens/home.js') },
  { path: /^\/vote\/([A-Za-z0-9._-]{1,64})$/, load: () => import('./screens/vote.js') },
  { path: /^\/kiosk$/, load: () => import('./screens/kiosk.js') },
  { path: /^\/receipt$/, load: () => import('./screens/receipt.js') },
  { path: /^\/results\/([A-Za-z0-9._-]{1,64})$/, load: () => import('./screens/results.js') },
  { path: /^\/admin\/cards$/, load: () => import('./screens/admincards.js') },
];

/** What a screen gets: the <main> to draw in, the page title, and the shared settings. */
export const app = {
  main: document.getElementById('main'),
  screen: null,
  /** Set the document title: "what this screen is – pbvote". */
  title(what) {
    document.title = what ? `${what} – ${t('app.name')}` : t('app.name');
  },
  /** Choose the interface language (the screen is drawn again by its onLanguage listener). */
  async language(code) {
    await setLanguage(code);
  },
  /** Switch larger text and high contrast off: a kiosk's next resident starts as the first did. */
  resetDisplay() {
    document.documentElement.classList.remove('large-text', 'high-contrast');
    drawSettings();
  },
};

function toggle(cls, labelKey) {
  const on = document.documentElement.classList.contains(cls);
  return h('button', {
    type: 'button',
    class: 'button button-secondary setting',
    'aria-pressed': on ? 'true' : 'false',
    text: t(labelKey),
    on: {
      click: (ev) => {
        const now = document.documentElement.classList.toggle(cls);
        ev.currentTarget.setAttribute('aria-pressed', now ? 'true' : 'false');
      },
    },
  });
}

function drawSettings() {
  const box = document.getElementById('settings');
  clear(box);
  const select = h('select', {
    id: 'language',
    class: 'select',
    on: { change: (ev) => app.language(ev.currentTarget.value) },
  });
  for (const code of LANGUAGES) {
    select.append(h('option', { value: code, lang: code, selected: code === current(), text: languageName(code) }));
  }
  box.append(
    h('div', { class: 'setting-language' }, h('label', { for: 'language', text: t('settings.language') }), select),
    toggle('large-text', 'settings.largeText'),
    toggle('high-contrast', 'settings.contrast'),
  );
  document.getElementById('skip-link').textContent = t('app.skip');
  document.getElementById('site-name').textContent = t('app.name');
}

async function start() {
  await setLanguage(negotiate());
  drawSettings();
  onLanguage(() => {
    const focused = document.activeElement?.id;
    drawSettings();
    app.screen?.render?.();
    if (focused === 'language') document.getElementById('language')?.focus();
  });
  const path = location.pathname;
  for (const r of ROUTES) {
    const m = r.path.exec(path);
    if (m) {
      const mod = await r.load();
      app.screen = await mod.start(app, m.slice(1));
      return;
    }
  }
  const mod = await import('./screens/notfound.js');
  app.screen = await mod.start(app);
}

start().catch((e) => {
  clear(app.main);
  app.main.append(h('h1', { text: t('common.error') }), h('p', { text: String(e.message || e) }));
});
