/**
 * Scalar helpers that CPU formulas may call. Each is a real function (so
 * formulas type-check and can be tested) whose source the CPU backend also
 * inlines into every generated elementwise loop.
 *
 * @module
 */

/**
 * The Gauss error function in double precision (series below 2.5, continued
 * fraction above).
 *
 * @param x The argument.
 * @returns `erf(x)`.
 */
export function erfn(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = x, term = x;
    const x2 = x * x;
    for (let k = 1; k < 60; k++) {
      term *= -x2 / k;
      const t = term / (2 * k + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return 1.1283791670955126 * sum;
  }
  if (ax === Infinity) return x > 0 ? 1 : -1;
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / (ax + f) / 1.7724538509055159;
  return x > 0 ? 1 - erfc : erfc - 1;
}

/** The source of every helper, for inlining into generated code. */
export const PRELUDE_SOURCE: string = [erfn].map((f) => f.toString()).join("\n");
