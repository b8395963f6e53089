// The elections the browser tests vote in: one per ballot type, with project names and a
// description in the four interface languages, so every widget is driven in every language.

const PROJECTS = [
  { id: 'p1', cost: 20000000, category: 'green', name: { en: 'Trees on Main Street', pl: 'Drzewa na ulicy Głównej', uk: 'Дерева на Головній вулиці', ar: 'أشجار في الشارع الرئيسي' }, description: { en: 'Forty new trees along the street.', pl: 'Czterdzieści nowych drzew wzdłuż ulicy.', uk: 'Сорок нових дерев уздовж вулиці.', ar: 'أربعون شجرة جديدة على طول الشارع.' } },
  { id: 'p2', cost: 15000000, category: 'transport', name: { en: 'Bike racks', pl: 'Stojaki rowerowe', uk: 'Велопарковки', ar: 'حوامل الدراجات' } },
  { id: 'p3', cost: 30000000, category: 'sport', name: { en: 'Swimming pool repair', pl: 'Remont basenu', uk: 'Ремонт басейну', ar: 'إصلاح المسبح' } },
  { id: 'p4', cost: 5000000, category: 'green,culture', name: { en: 'Library garden', pl: 'Ogród przy bibliotece', uk: 'Сад біля бібліотеки', ar: 'حديقة المكتبة' } },
  { id: 'p5', cost: 8000000, category: 'culture', name: { en: 'Street concerts', pl: 'Koncerty uliczne', uk: 'Вуличні концерти', ar: 'حفلات الشارع' } },
];

const TITLE = (what) => ({ en: `Town budget 2026 (${what})`, pl: `Budżet miasta 2026 (${what})`, uk: `Бюджет міста 2026 (${what})`, ar: `ميزانية المدينة 2026 (${what})` });

function manifest(id, what, ballot, rule, extra = {}) {
  return {
    type: 'pbvote.manifest/v1',
    id,
    title: TITLE(what),
    currency: 'EUR',
    scale: 2,
    budget: 45000000,
    projects: PROJECTS,
    ballot,
    rule,
    ...extra,
  };
}

/** id -> manifest: the ballot types (approval with a cost limit, choose-1, cumulative, scoring, ordinal). */
export const ELECTIONS = {
  knapsack: manifest('knapsack', 'knapsack', { type: 'approval', max_sum_cost: 45000000, min_length: 1 }, { name: 'greedy', tie_break: 'lexico' }),
  // also taken from home, and its first project has a picture and a link (per language)
  approval: manifest('approval', 'approval', { type: 'approval', min_length: 1, max_length: 2 }, { name: 'greedy', tie_break: 'lexico' }, {
    web_voting: true,
    projects: PROJECTS.map((p) => (p.id === 'p1' ? { ...p, image: '/media/p1.svg', url: { en: 'https://city.example/en/p1', pl: 'https://city.example/pl/p1' } } : p)),
  }),
  choose1: manifest('choose1', 'choose-1', { type: 'choose-1' }, { name: 'greedy', tie_break: 'lexico' }),
  cumulative: manifest('cumulative', 'cumulative', { type: 'cumulative', max_sum_points: 10, max_points: 6 }, { name: 'greedy', score: 'points', tie_break: 'lexico' }),
  scoring: manifest('scoring', 'scoring', { type: 'scoring', min_points: 0, max_points: 5, default_score: 0 }, { name: 'greedy', score: 'points', tie_break: 'lexico' }),
  ordinal: manifest('ordinal', 'ranking', { type: 'ordinal', max_length: 3, min_length: 1 }, { name: 'greedy', score: 'borda', tie_break: 'lexico' }),
};

/** A manifest of @n projects (the 500-project benchmark). */
export function bigManifest(n) {
  const cats = ['green', 'transport', 'sport', 'culture', 'education', 'health', 'safety', 'youth'];
  const projects = [];
  for (let i = 1; i <= n; i++) {
    projects.push({
      id: `b${i}`,
      cost: 100000 + ((i * 7919) % 900) * 1000,
      category: cats[i % cats.length],
      name: { en: `Project number ${i}`, pl: `Projekt numer ${i}` },
      description: { en: `What project ${i} would build, in a sentence or two.` },
    });
  }
  return {
    type: 'pbvote.manifest/v1',
    id: 'big',
    title: { en: `A vote with ${n} projects` },
    currency: 'PLN',
    scale: 0,
    budget: 50000000,
    projects,
    ballot: { type: 'approval', max_sum_cost: 50000000 },
    rule: { name: 'greedy', tie_break: 'lexico' },
  };
}
