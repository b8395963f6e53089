// /vote/{id}: a resident votes from home (or any browser) with the voter code alone.
import { getElection } from '../api.js';
import { clear, h } from '../dom.js';
import { createFlow, reasonMessage } from '../flow.js';
import { t, text } from '../i18n.js';

/** Read a code handed over in the link (a scanned card: /vote/ID#code=...) and drop it from the
 *  address at once, so it stays in neither the history nor the address bar. */
function codeFromLink() {
  const m = /(?:^#|&)code=([^&]*)/.exec(location.hash);
  if (!m) return '';
  history.replaceState(null, '', location.pathname);
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return '';
  }
}

/** A page that cannot take a vote (no such election, not open): says why, links to the start. */
export function closedScreen(app, heading, message) {
  return {
    render() {
      clear(app.main);
      app.title(heading());
      app.main.append(h('h1', { text: heading() }), h('p', { text: message() }),
        h('p', {}, h('a', { href: '/', text: t('notfound.home') })));
    },
  };
}

export async function start(app, [id]) {
  const initialCode = codeFromLink();
  let election;
  try {
    election = await getElection(id);
  } catch (e) {
    const screen = e.status === 404
      ? closedScreen(app, () => t('notfound.title'), () => t('notfound.body'))
      : closedScreen(app, () => t('common.error'), () => reasonMessage(e.reason || 'offline', false));
    screen.render();
    return screen;
  }
  if (election.state !== 'open') {
    const screen = closedScreen(app, () => text(election.manifest.title), () => t('reason.not_open'));
    screen.render();
    return screen;
  }
  if (!election.manifest.web_voting) {
    // said before the resident fills a ballot that this page could not cast
    const screen = closedScreen(app, () => text(election.manifest.title), () => t('reason.web'));
    screen.render();
    return screen;
  }
  const flow = createFlow(app, election, { initialCode });
  flow.render();
  return flow;
}
