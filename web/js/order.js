// The order in which a resident sees the projects.  The manifest's "order" says which: "file"
// (the manifest's order) or "shuffled" (per voter, from the published seed, so that no project
// gains from being first: docs/pages.md, "Project order").  Withdrawn projects are not shown.
import { sha256Hex } from './sha256.js';

/**
 * The projects of @manifest in the order voter @code sees them.  A shuffled order sorts the
 * projects by SHA-256("pbv/order/v1\0" ‖ seed ‖ "\0" ‖ code ‖ "\0" ‖ project id), the code in
 * its canonical printed form: the same voter sees the same order on every device, and anyone can
 * check from the published seed that the order is a fair draw for any code.
 */
export function projectOrder(manifest, code) {
  const shown = manifest.projects.filter((p) => !p.withdrawn);
  const order = manifest.order;
  if (!order || order.policy !== 'shuffled') return shown;
  const keyed = shown.map((p) => ({ p, k: sha256Hex(`pbv/order/v1\0${order.seed}\0${code}\0${p.id}`) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map((x) => x.p);
}
