/**
 * Argument checks shared by the elementwise ops (internal: not re-exported).
 *
 * @module
 */

/**
 * Throws a TypeError unless `v` is a number (or undefined when optional).
 *
 * @param op Op name for the message.
 * @param name Option name.
 * @param v The value.
 * @param optional Whether undefined is allowed.
 */
export function checkNumber(op: string, name: string, v: unknown, optional = false): void {
  if (optional && v === undefined) return;
  if (typeof v !== "number") {
    throw new TypeError(`Cannot apply ${op}() with ${name} ${String(v)}: expected a number`);
  }
}
