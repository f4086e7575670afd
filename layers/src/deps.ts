/**
 * What the layers take from the core packages.
 *
 * @module
 */
import { setGradEnabled } from "@dendrite/tensor";
import "@dendrite/autograd";
export * from "@dendrite/tensor";

/**
 * Runs `fn` with gradient recording off.
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
