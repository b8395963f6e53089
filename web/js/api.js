// The JSON API of the same server (docs/api.md).  Every answer is read fresh (no cache), and a
// refusal becomes an ApiError carrying the problem document's stable "reason" (docs/errors.md),
// which the pages turn into a sentence in the resident's language.

/** A refusal or failure: status, the problem document, and a reason the page can translate. */
export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.reason = reasonOf(status, problem);
  }
}

/**
 * The reason of a refusal: the problem's own "reason" when the server gives one; otherwise one
 * read from its status and type (servers before stable reasons), never from its English text.
 */
export function reasonOf(status, problem = {}) {
  if (problem.reason) return problem.reason;
  const type = String(problem.type || '').split('/').pop();
  if (status === 401) return 'token_unknown';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'busy';
  if (type === 'wrong_state') return 'not_open';
  if (status === 403) return problem.field === '$.code' || problem.field === 'code' ? 'code_unknown' : 'forbidden';
  if (status === 409) return 'code_spent';
  if (status === 422) return 'invalid';
  if (status === 400 && /code/.test(problem.field || '')) return 'code_malformed';
  if (status === 404) return 'not_found';
  return 'unknown';
}

async function request(path, options = {}) {
  const res = await fetch(path, { cache: 'no-store', credentials: 'omit', ...options });
  let body = null;
  const type = res.headers.get('content-type') || '';
  if (type.includes('json')) body = await res.json();
  if (!res.ok) {
    const err = new ApiError(res.status, body || {});
    err.retryAfter = Number(res.headers.get('retry-after')) || 0;
    throw err;
  }
  return { status: res.status, body };
}

/** [{id, state, title}] */
export async function listElections() {
  return (await request('/v1/elections')).body.elections;
}

/** {id, manifest, signed_manifest, state} */
export async function getElection(id) {
  return (await request(`/v1/elections/${encodeURIComponent(id)}`)).body;
}

/** The turnout counts (never a partial result): {ballots, by_channel, codes_issued, codes_spent, ...} */
export async function getTurnout(id) {
  return (await request(`/v1/elections/${encodeURIComponent(id)}/turnout`)).body;
}

/** {result, certification}: the signed result and the certification (or null); 404 before the count. */
export async function getResult(id) {
  return (await request(`/v1/elections/${encodeURIComponent(id)}/result`)).body;
}

/** The latest signed checkpoint of the ballot log (a C2SP signed note, as text). */
export async function getCheckpoint(id) {
  const res = await fetch(`/v1/elections/${encodeURIComponent(id)}/checkpoint`, { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new ApiError(res.status, {});
  return res.text();
}

/**
 * The receipt of a ballot in the log (docs/api.md, "Receipts"): by its commitment (64 hex, as the
 * receipt's QR code gives it) or by the short code a person types.  {commitment?, pending,
 * checkpoint?, index?, proof?, size?}
 */
export async function getReceipt(id, { commitment, shortCode }) {
  const which = commitment || encodeURIComponent(shortCode);
  return (await request(`/v1/elections/${encodeURIComponent(id)}/receipts/${which}`)).body;
}

/**
 * Is @token a kiosk token of election @id?  Asked without casting anything: a ballot submission
 * with no body is refused after the credentials are checked and before any ballot rule (401: no
 * such token, 403: not a kiosk's, 415: a kiosk's), so nothing is counted against the kiosk.
 */
export async function checkKioskToken(id, token) {
  try {
    await request(`/v1/elections/${encodeURIComponent(id)}/ballots`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
    });
    return false;
  } catch (e) {
    if (e instanceof ApiError) return e.status === 415;
    throw e;
  }
}

/**
 * The ids of the contests voter @code is for, in the manifest's order (POST .../codes/contests):
 * asked with the same credentials as a cast (@token on a kiosk, none from the web), nothing spent.
 * Rejects with an ApiError for a refused code (counted as a cast's failed code would be).
 */
export async function codeContests(electionId, code, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const { body } = await request(`/v1/elections/${encodeURIComponent(electionId)}/codes/contests`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ code }),
    signal: AbortSignal.timeout(20000),
  });
  return body.contests;
}

/** 32 lowercase hex digits of fresh randomness: one per ballot, kept across its retries. */
export function newSubmissionId() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

/**
 * Cast @ballot (or @ballots, one per contest) with @code.  A lost connection or a busy server never
 * loses or doubles a vote: the same submission_id is sent again until the server answers, and a retried submission gets
 * the receipt of the one ballot stored.  onState('offline' | 'busy' | 'sending') tells the page
 * what is happening; opts.retryNow is an EventTarget whose 'retry' event cuts a wait short.
 * Resolves to the receipt; rejects with an ApiError for a refusal (nothing was stored).
 */
export async function cast(electionId, { code, ballot, ballots, submissionId, token }, onState = () => {}, opts = {}) {
  const body = JSON.stringify({ ballot, code, submission_id: submissionId });
  // a vote of several contests: one ballot per contest, keyed by contest id (docs/api.md)
  const many = ballots && JSON.stringify({ ballots, code, submission_id: submissionId });
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let wait = 1000;
  for (;;) {
    onState('sending');
    try {
      const { body: answer } = await request(`/v1/elections/${encodeURIComponent(electionId)}/ballots`, {
        method: 'POST',
        headers,
        body: many || body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 20000),
      });
      return answer.receipt;
    } catch (e) {
      // nothing was stored: the same submission again, after the wait the server asks for
      if (e instanceof ApiError && e.reason !== 'busy' && e.reason !== 'rate_limited') throw e;
      onState(e instanceof ApiError ? 'busy' : 'offline');
      const until = e instanceof ApiError && e.retryAfter ? e.retryAfter * 1000 : wait;
      const cut = new AbortController();
      const wake = () => cut.abort();
      opts.retryNow?.addEventListener('retry', wake, { once: true });
      window.addEventListener('online', wake, { once: true });
      await sleep(until, cut.signal);
      opts.retryNow?.removeEventListener('retry', wake);
      window.removeEventListener('online', wake);
      wait = Math.min(wait * 2, 15000);
    }
  }
}
