// "/": the elections this server holds, with their state, and a link to vote in each open one.
import { listElections } from '../api.js';
import { clear, h, uid } from '../dom.js';
import { t, text } from '../i18n.js';

export async function start(app) {
  let elections = null;
  let failed = null;
  try {
    elections = await listElections();
  } catch (e) {
    failed = e;
  }
  const screen = {
    render() {
      clear(app.main);
      app.title(t('home.title'));
      const heading = h('h1', { text: t('home.title') });
      app.main.append(heading);
      if (failed) {
        app.main.append(h('p', { class: 'error-text', text: t('reason.offline') }));
        return;
      }
      app.main.append(h('p', { class: 'lead', text: t('home.intro') }));
      if (!elections.length) {
        app.main.append(h('p', { text: t('home.none') }));
        return;
      }
      const list = h('ul', { class: 'card-list' });
      for (const e of elections) {
        const title = text(e.title);
        const titleId = uid('election');
        const item = h('li', { class: 'card' },
          h('h2', { class: 'card-title', id: titleId, text: title }),
          h('p', { class: `state state-${e.state}`, text: t(`state.${e.state}`) }));
        if (e.state === 'open' && !e.web_voting) {
          item.append(h('p', { class: 'hint', text: t('home.kioskOnly') }));
        } else if (e.state === 'open') {
          item.append(h('a', {
            class: 'button',
            href: `/vote/${encodeURIComponent(e.id)}`,
            'aria-describedby': titleId,
            text: t('home.vote'),
          }));
        }
        list.append(item);
      }
      app.main.append(list);
    },
  };
  screen.render();
  return screen;
}
