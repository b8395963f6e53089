// A QR code as an SVG image drawn in the page (no request, no canvas), from Nayuki's QR Code
// generator (web/vendor/qrcodegen.js, MIT; docs/pages.md says why this one).
import qrcodegen from '../../vendor/qrcodegen.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * An <svg role="img"> of @text as a QR code (error correction level M, a quiet zone of four
 * modules), named @label for screen readers.
 */
export function qrSvg(text, label) {
  const qr = qrcodegen.QrCode.encodeText(text, qrcodegen.QrCode.Ecc.MEDIUM);
  const border = 4;
  const size = qr.size + border * 2;
  const parts = [];
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) {
      if (qr.getModule(x, y)) parts.push(`M${x + border},${y + border}h1v1h-1z`);
    }
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('class', 'qr');
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', '#fff');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', parts.join(''));
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}
