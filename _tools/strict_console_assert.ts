/**
 * Loaded before every test module (`deno test --preload`): makes
 * `console.assert` throw, so the `console.assert` checks in doc examples are
 * real tests that fail when an example stops telling the truth.
 *
 * @module
 */
console.assert = (condition?: unknown, ...data: unknown[]): void => {
  if (!condition) {
    throw new Error(`Assertion failed${data.length ? ": " + data.map(String).join(" ") : ""}`);
  }
};
