/**
 * Loading an optional native library through Deno's FFI (OpenBLAS in
 * blas.ts, oneDNN in dnnl.ts): an environment variable names a library or
 * turns it off, the FFI permission must be granted, and otherwise the first
 * candidate that opens wins. Internal.
 *
 * @module
 */
import { readEnv } from "../backend.ts";

/** What `loadNative` found: the library's path, or why there is none. */
export interface NativeLoad {
  /** The loaded path, or null. */
  library: string | null;
  /** Why nothing was loaded, when nothing was. */
  reason?: string;
}

/**
 * Opens the library named by `variable` (or, when it is unset, the first
 * of `candidates` that `open` accepts); `open` throws for a path it cannot
 * use. `variable=off` (or `0`, `none`, `false`) loads nothing.
 *
 * @param variable The environment variable ("DENDRITE_BLAS").
 * @param candidates Paths to try in order.
 * @param open Opens one path (and keeps what it opened), or throws.
 * @param notFound The reason when no candidate opens, given the last error.
 * @returns The path opened, or the reason.
 */
export function loadNative(
  variable: string,
  candidates: readonly string[],
  open: (path: string) => void,
  notFound: (lastError: string) => string,
): NativeLoad {
  const choice = readEnv(variable);
  if (choice && ["off", "0", "none", "false"].includes(choice.toLowerCase())) {
    return { library: null, reason: `disabled by ${variable}` };
  }
  // deno-lint-ignore no-explicit-any
  const d = (globalThis as any).Deno;
  let ffi: string | undefined;
  try {
    ffi = d?.permissions?.querySync?.({ name: "ffi" }).state;
  } catch {
    ffi = undefined;
  }
  if (ffi !== "granted" || typeof d?.dlopen !== "function") {
    return { library: null, reason: "FFI permission not granted (run with --allow-ffi or -A)" };
  }
  const errors: string[] = [];
  for (const p of choice ? [choice] : candidates) {
    try {
      open(p);
      return { library: p };
    } catch (e) {
      errors.push(`${p}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return {
    library: null,
    reason: choice
      ? `could not load ${variable}=${choice} (${errors[0]})`
      : notFound(errors[errors.length - 1]),
  };
}
