// Any other path: "page not found" in the resident's language (the server answers it with 404).
import { clear, h } from '../dom.js';
import { t } from '../i18n.js';

export async function start(app) {
  const screen = {
    render() {
      clear(app.main);
      app.title(t('notfound.title'));
      app.main.append(
        h('h1', { text: t('notfound.title') }),
        h('p', { text: t('notfound.body') }),
        h('p', {}, h('a', { href: '/', text: t('notfound.home') })),
      );
    },
  };
  screen.render();
  return screen;
}
