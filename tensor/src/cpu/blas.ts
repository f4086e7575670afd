/**
 * Native BLAS through Deno's FFI: `cblas_sgemm` from OpenBLAS (Linux) or
 * Accelerate (macOS), loaded on first use when `--allow-ffi` is granted.
 * `DENDRITE_BLAS` names a library to load, or `off` / `0` / `none` to use
 * the TypeScript kernels. A slow reference BLAS is never picked unless named.
 *
 * OpenBLAS picks its kernel family from the CPU (or from
 * `OPENBLAS_CORETYPE`); `blasInfo().core` reports the one in use.
 *
 * @module
 */
import { loadNative } from "./native.ts";

const CANDIDATES = [
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "libopenblas.so.0",
  "libopenblas.so",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/System/Library/Frameworks/Accelerate.framework/Accelerate",
];

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_get_corename: { parameters: [], result: "pointer", optional: true },
} as const;

type Lib = {
  symbols: {
    cblas_sgemm: (...args: unknown[]) => void;
    openblas_get_corename?: (() => unknown) | null;
  };
};

/** Which BLAS is in use and why. */
export interface BlasInfo {
  /** True when GEMM calls go to the native library. */
  enabled: boolean;
  /** The loaded library path, or null. */
  library: string | null;
  /** Why BLAS is off, when it is. */
  reason?: string;
  /** OpenBLAS's kernel family (e.g. "SkylakeX", "Haswell"), when it says. */
  core?: string;
}

let lib: Lib | null = null;
let library: string | null = null;
let reason: string | undefined;
let tried = false;
let enabled = true;
let core: string | undefined;

// deno-lint-ignore no-explicit-any
const D = (globalThis as any).Deno;

/** Loads `path` and asks OpenBLAS (when it is one) which kernel family it runs. */
function open(path: string): Lib {
  const l = D.dlopen(path, SYMBOLS) as Lib;
  const name = l.symbols.openblas_get_corename?.();
  core = name ? new D.UnsafePointerView(name).getCString() : undefined;
  return l;
}

function tryLoad(): void {
  tried = true;
  ({ library, reason } = loadNative("DENDRITE_BLAS", CANDIDATES, (p) => {
    lib = open(p);
  }, () => "no BLAS library found"));
}

/**
 * Reports whether native BLAS is used.
 *
 * @returns The library and state.
 * @example
 * ```ts
 * import { blasInfo } from "@dendrite/tensor";
 * const info = blasInfo();
 * console.log(info.enabled ? `BLAS: ${info.library}` : `TypeScript GEMM (${info.reason})`);
 * ```
 */
export function blasInfo(): BlasInfo {
  if (!tried) tryLoad();
  const on = enabled && lib !== null;
  return {
    enabled: on,
    library,
    reason: on ? undefined : enabled ? reason : "disabled by setBlasEnabled(false)",
    ...(core ? { core } : {}),
  };
}

/**
 * Turns native BLAS on or off for this process (when one is loaded).
 *
 * @param on Use BLAS.
 * @example
 * ```ts
 * import { blasInfo, setBlasEnabled } from "@dendrite/tensor";
 * setBlasEnabled(false);
 * console.assert(!blasInfo().enabled);
 * setBlasEnabled(true);
 * ```
 */
export function setBlasEnabled(on: boolean): void {
  enabled = on;
}

/**
 * Runs `cblas_sgemm` (row-major; C overwritten, or added to with `accumulate`) when BLAS is enabled.
 *
 * @returns False when no BLAS is available (the caller falls back).
 */
export function blasSgemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  accumulate = false,
): boolean {
  if (!enabled) return false;
  if (!tried) tryLoad();
  if (!lib) return false;
  // Leading dimensions must be at least the row length BLAS expects.
  const la = Math.max(lda, transA ? m : k, 1), lb = Math.max(ldb, transB ? k : n, 1);
  const lc = Math.max(ldc, n);
  // Native code writes wherever it is told: check that every operand lies
  // inside its array, so a wrong stride is an error, not a corrupted heap.
  inside("A", a, aOff, transA ? k : m, transA ? m : k, la);
  inside("B", b, bOff, transB ? n : k, transB ? k : n, lb);
  inside("C", c, cOff, m, n, lc);
  lib.symbols.cblas_sgemm(
    101,
    transA ? 112 : 111,
    transB ? 112 : 111,
    m,
    n,
    k,
    1,
    a.subarray(aOff),
    la,
    b.subarray(bOff),
    lb,
    accumulate ? 1 : 0,
    c.subarray(cOff),
    lc,
  );
  return true;
}

/** Throws unless a `rows × cols` row-major block at `off` with leading dimension `ld` fits in `x`. */
function inside(
  name: string,
  x: Float32Array,
  off: number,
  rows: number,
  cols: number,
  ld: number,
): void {
  if (rows === 0 || cols === 0) return;
  const last = off + (rows - 1) * ld + cols - 1;
  if (off < 0 || last >= x.length) {
    throw new RangeError(
      `Cannot call cblas_sgemm: operand ${name} (${rows}x${cols}, leading dimension ${ld}, offset ${off}) reaches element ${last} of an array of ${x.length}`,
    );
  }
}
