/**
 * Command-line flags of the example programs.
 *
 * @module
 */

/**
 * The value of `--name value` or `--name=value` among the program's
 * arguments, or `fallback` when the flag is absent.
 *
 * @param name The flag without its dashes.
 * @param fallback The default.
 * @returns The value as given.
 * @example
 * ```ts
 * import { flag } from "./flags.ts";
 * console.assert(flag("no-such-flag", "3") === "3");
 * ```
 */
export function flag(name: string, fallback: string): string {
  const i = Deno.args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  const a = Deno.args[i];
  return a.includes("=") ? a.slice(a.indexOf("=") + 1) : Deno.args[i + 1] ?? fallback;
}
