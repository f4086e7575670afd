/**
 * What the autograd engine takes from the core.
 *
 * @module
 */
import { setGradEnabled } from "@dendrite/tensor";
export { fmtShape, fromTypedArray, mul, sum } from "@dendrite/tensor";
export type { Tensor } from "@dendrite/tensor";

/**
 * Runs `fn` with recording off (internal; the public form is `noGrad`).
 *
 * @param fn The function.
 * @returns Its result.
 */
export function noGradScope<T>(fn: () => T): T {
  const prev = setGradEnabled(false);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}

/**
 * Runs `fn` with recording on (internal; the public form is `enableGrad`).
 *
 * @param fn The function.
 * @returns Its result.
 */
export function gradScope<T>(fn: () => T): T {
  const prev = setGradEnabled(true);
  try {
    return fn();
  } finally {
    setGradEnabled(prev);
  }
}
