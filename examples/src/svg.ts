/**
 * A small SVG line-chart writer (no dependencies) for training curves.
 *
 * @module
 */

/** One line of a chart. */
export interface Series {
  /** Legend label. */
  label: string;
  /** y values at x = 1, 2, ... */
  values: number[];
  /** Stroke colour. */
  color: string;
}

/**
 * Renders series as an SVG line chart with axes, ticks and a legend.
 *
 * @param title The chart title.
 * @param series The lines.
 * @param options `xLabel`, `yLabel`, `width`, `height`.
 * @returns The SVG document.
 * @example
 * ```ts
 * import { lineChart } from "./svg.ts";
 * const svg = lineChart("loss", [{ label: "train", values: [1, 0.5, 0.3], color: "#1f77b4" }]);
 * console.assert(svg.startsWith("<svg") && svg.includes("polyline"));
 * ```
 */
export function lineChart(
  title: string,
  series: Series[],
  options: { xLabel?: string; yLabel?: string; width?: number; height?: number } = {},
): string {
  const W = options.width ?? 640, H = options.height ?? 400;
  const m = { l: 60, r: 20, t: 40, b: 50 };
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!Number.isFinite(lo)) lo = 0, hi = 1;
  if (hi === lo) hi = lo + 1;
  const pad = (hi - lo) * 0.05;
  lo -= pad, hi += pad;
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const x = (i: number) => m.l + (W - m.l - m.r) * (i / (n - 1));
  const y = (v: number) => H - m.b - (H - m.t - m.b) * ((v - lo) / (hi - lo));
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="16">${esc(title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const v = lo + (hi - lo) * k / 5;
    parts.push(
      `<line x1="${m.l - 4}" y1="${y(v)}" x2="${W - m.r}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${m.l - 8}" y="${y(v) + 4}" text-anchor="end">${v.toPrecision(3)}</text>`,
    );
  }
  for (let i = 0; i < n; i++) {
    parts.push(`<text x="${x(i)}" y="${H - m.b + 16}" text-anchor="middle">${i + 1}</text>`);
  }
  if (options.xLabel) {
    parts.push(
      `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`,
    );
  }
  if (options.yLabel) {
    parts.push(
      `<text x="16" y="${H / 2}" text-anchor="middle" transform="rotate(-90 16 ${H / 2})">${
        esc(options.yLabel)
      }</text>`,
    );
  }
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`);
    s.values.forEach((v, i) =>
      parts.push(
        `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.color}"/>`,
      )
    );
    parts.push(
      `<rect x="${W - m.r - 120}" y="${m.t + 18 * k}" width="12" height="12" fill="${s.color}"/>`,
      `<text x="${W - m.r - 102}" y="${m.t + 18 * k + 10}">${esc(s.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
