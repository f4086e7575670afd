/**
 * The three ways the CPU backend can multiply matrices, for the `deno bench`
 * files here: native BLAS (the baseline, with oneDNN for convolutions when it
 * is loaded), the WebAssembly SIMD GEMM (no BLAS), and plain TypeScript
 * (neither), both without oneDNN; and `BLAS_ONLY`, native BLAS without
 * oneDNN, for the convolution benches. Not a benchmark itself.
 *
 * @module
 */
import {
  blasInfo,
  dnnlInfo,
  setBlasEnabled,
  setDnnlEnabled,
  setWasmEnabled,
  wasmInfo,
} from "@dendrite/tensor";

/** One way to multiply: its tag in bench names and the switches it sets. */
export interface GemmMode {
  /** "blas", "wasm" or "ts". */
  tag: string;
  /** Native BLAS on. */
  blas: boolean;
  /** The WebAssembly GEMM on. */
  wasm: boolean;
  /** oneDNN's convolutions on (when loaded). */
  dnnl: boolean;
  /** Whether this runtime has it (benches of a missing mode are ignored). */
  available: boolean;
}

/** BLAS, WebAssembly, plain TypeScript. */
export const GEMM_MODES: readonly GemmMode[] = [
  { tag: "blas", blas: true, wasm: true, dnnl: true, available: blasInfo().enabled },
  { tag: "wasm", blas: false, wasm: true, dnnl: false, available: wasmInfo().enabled },
  { tag: "ts", blas: false, wasm: false, dnnl: false, available: true },
];

/** Native BLAS without oneDNN (where convolutions would use it; ignored when it is not loaded). */
export const BLAS_ONLY: GemmMode = {
  tag: "blas only",
  blas: true,
  wasm: true,
  dnnl: false,
  available: blasInfo().enabled && dnnlInfo().enabled,
};

/**
 * Runs `fn` with `mode`'s switches set, then turns them all back on. `fn` is
 * synchronous (the CPU backend computes when an op is called): the caller
 * awaits the read-back afterwards, so no switch stays set across an `await`,
 * where another pending benchmark step could see it.
 *
 * @param mode The mode.
 * @param fn The work.
 * @returns What `fn` returns.
 */
export function inMode<T>(mode: GemmMode, fn: () => T): T {
  setBlasEnabled(mode.blas);
  setWasmEnabled(mode.wasm);
  setDnnlEnabled(mode.dnnl);
  try {
    return fn();
  } finally {
    setBlasEnabled(true);
    setWasmEnabled(true);
    setDnnlEnabled(true);
  }
}
