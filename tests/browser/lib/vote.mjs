// A resident's vote, driven as a person does: by roles and the names shown in the page's language.
import assert from 'node:assert/strict';
import { tr, txt } from './i18n.mjs';

/** The name of project @id of @manifest in @lang. */
export function projectName(manifest, id, lang) {
  return txt(manifest.projects.find((p) => p.id === id).name, lang);
}

/** On the kiosk's welcome screen: pick @lang, start. */
export async function startAtKiosk(page, lang) {
  if (lang !== 'en') await page.getByRole('button', { name: { pl: 'Polski', uk: 'Українська', ar: 'العربية' }[lang], exact: true }).click();
  await page.getByRole('button', { name: tr(lang, 'kiosk.start') }).click();
}

/** Type @code into the voter-code field and continue. */
export async function enterCode(page, lang, code) {
  await page.getByLabel(tr(lang, 'code.label'), { exact: true }).fill(code);
  await page.getByRole('button', { name: tr(lang, 'common.continue') }).click();
}

/** Review, cast, and wait for the receipt; returns the receipt the server sent. */
export async function castAndReceipt(page, lang) {
  await page.getByRole('button', { name: tr(lang, 'ballot.next') }).click();
  await page.getByRole('heading', { level: 1, name: tr(lang, 'review.title') }).waitFor();
  const answer = page.waitForResponse((r) => r.url().endsWith('/ballots') && r.request().method() === 'POST' && r.ok());
  await page.getByRole('button', { name: tr(lang, 'review.cast') }).click();
  const receipt = (await (await answer).json()).receipt;
  await page.getByRole('heading', { level: 1, name: tr(lang, 'receipt.title') }).waitFor();
  // the short code, next to the word for "receipt", and its QR code
  const line = page.locator('.receipt-line');
  await assert.doesNotReject(line.getByText(receipt.short_code, { exact: true }).waitFor());
  assert.ok((await line.textContent()).includes(tr(lang, 'receipt.code')));
  await page.getByRole('img', { name: tr(lang, 'receipt.qr') }).waitFor();
  return receipt;
}

/** The accessible description of the control @locator finds (what a screen reader says after its
 *  name): the texts its aria-describedby names, those shown. */
export async function description(locator) {
  return locator.evaluate((el) => (el.getAttribute('aria-describedby') || '').split(/\s+/)
    .map((id) => document.getElementById(id)).filter((d) => d && !d.hidden).map((d) => d.textContent).join(' '));
}

/** The refusal @message is on @control (its description) and was announced (role alert). */
export async function refused(page, control, message) {
  await page.getByRole('alert').filter({ hasText: message }).waitFor();
  assert.ok((await description(control)).includes(message), `"${message}" describes the control`);
}
