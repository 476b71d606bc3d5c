// A QR code drawn as SVG from the vendored encoder (static/vendor/qrcode-generator.js). The SVG is
// built node by node: no markup string, no style attribute, so the strict CSP holds.

import { qrcode } from "../../vendor/qrcode-generator.js";

const SVG = "http://www.w3.org/2000/svg";
const QUIET = 4;

// Byte mode, error correction M: what the tests decode, and what a phone camera reads.
export function qrMatrix(text) {
  const code = qrcode(0, "M");
  code.addData(text, "Byte");
  code.make();
  const size = code.getModuleCount();
  return Array.from({ length: size }, (_row, r) => Array.from({ length: size }, (_col, c) => code.isDark(r, c)));
}

export function qrSvg(text, label) {
  const matrix = qrMatrix(text);
  const side = matrix.length + 2 * QUIET;
  const svg = document.createElementNS(SVG, "svg");
  for (const [name, value] of [["viewBox", `0 0 ${side} ${side}`], ["role", "img"], ["aria-label", label],
    ["shape-rendering", "crispEdges"]]) svg.setAttribute(name, value);
  svg.classList.add("fingerprint-qr");
  const moves = [];
  matrix.forEach((row, r) => row.forEach((dark, c) => { if (dark) moves.push(`M${c + QUIET} ${r + QUIET}h1v1h-1z`); }));
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", moves.join(""));
  svg.append(path);
  return svg;
}
