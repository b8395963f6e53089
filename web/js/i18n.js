// Translations: one plain JSON file per interface language in ../i18n/, chosen by the resident,
// defaulting from the browser's languages (Accept-Language).  Strings never live in code.
// A value is a string with {name} placeholders, or an object of plural forms (Intl.PluralRules
// categories: zero, one, two, few, many, other) chosen by the placeholder "count".

/** Interface languages, one file each; tests/browser/i18n.test.mjs checks none lacks a string. */
export const LANGUAGES = ['en', 'pl', 'uk', 'ar'];
const RTL = new Set(['ar', 'fa', 'he', 'ur']);

let lang = 'en';
let strings = {};
let english = {};
let names = {};
const listeners = new Set();

async function load(code) {
  const res = await fetch(new URL(`../i18n/${code}.json`, import.meta.url));
  if (!res.ok) throw new Error(`no translation file for ${code}`);
  return res.json();
}

/** The language a browser asks for first among ours (navigator.languages is Accept-Language). */
export function negotiate(wanted = navigator.languages || [navigator.language]) {
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

/** The current interface language. */
export function current() {
  return lang;
}

/** True for a right-to-left language. */
export function isRtl(code = lang) {
  return RTL.has(code);
}

/** Each language's name in itself ("Polski"), for the language picker. */
export function languageName(code) {
  return names[code] || code;
}

/** Switch the interface to @code: loads its file, sets <html lang dir>, tells the listeners. */
export async function setLanguage(code) {
  if (!LANGUAGES.includes(code)) code = 'en';
  if (!english.__loaded) {
    english = await load('en');
    english.__loaded = true;
    const res = await fetch(new URL('../i18n/languages.json', import.meta.url));
    names = res.ok ? await res.json() : {};
  }
  strings = code === 'en' ? english : await load(code);
  lang = code;
  document.documentElement.lang = code;
  document.documentElement.dir = isRtl(code) ? 'rtl' : 'ltr';
  for (const fn of listeners) fn(code);
}

/** Call @fn(code) after every language change; returns a function that stops it. */
export function onLanguage(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Intl objects are costly to make (about a millisecond each): one per language, kept.
const numberFormats = new Map();
const pluralRules = new Map();

function cached(map, code, make) {
  if (!map.has(code)) map.set(code, make(code));
  return map.get(code);
}

/** A number in the page's language (Arabic digits in Arabic, and so on). */
export function num(n) {
  return cached(numberFormats, lang, (c) => new Intl.NumberFormat(c)).format(n);
}

/**
 * The string @key with @vars filled in.  Numbers among @vars are formatted for the language;
 * a plural entry is chosen by vars.count.  A missing key shows the English string, then the key
 * (the i18n test makes sure neither happens).
 */
export function t(key, vars = {}) {
  let s = strings[key] ?? english[key] ?? key;
  if (typeof s === 'object') {
    const cat = cached(pluralRules, lang, (c) => new Intl.PluralRules(c)).select(Number(vars.count ?? 0));
    s = s[cat] ?? s.other;
  }
  return s.replace(/\{(\w+)\}/g, (m, name) => {
    const v = vars[name];
    if (v === undefined || v === null) return m;
    return typeof v === 'number' ? num(v) : String(v);
  });
}

/**
 * A manifest text (a string, or {language: string}) in the page's language: the page's language,
 * else English, else the first one (docs/api.md, "Text").
 */
export function text(value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (value[lang] !== undefined) return value[lang];
  const prefixed = Object.keys(value).find((k) => k.toLowerCase().split('-')[0] === lang);
  if (prefixed) return value[prefixed];
  if (value.en !== undefined) return value.en;
  const first = Object.keys(value).sort()[0];
  return first ? value[first] : '';
}

/** The language tag of the text() chosen for @value (for a lang attribute), or null. */
export function textLang(value) {
  if (!value || typeof value === 'string') return null;
  if (value[lang] !== undefined) return null;
  const prefixed = Object.keys(value).find((k) => k.toLowerCase().split('-')[0] === lang);
  if (prefixed) return null;
  if (value.en !== undefined) return 'en';
  return Object.keys(value).sort()[0] || null;
}
