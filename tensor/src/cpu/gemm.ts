/**
 * Single-precision GEMM on the CPU: `C = op(A) · op(B)` (C overwritten).
 * Large products go to a native BLAS when one is loaded (`blas.ts`), the
 * others (and all of them without BLAS) to a WebAssembly SIMD kernel
 * (`wasm_gemm.ts`) where the runtime has SIMD; the pure TypeScript path
 * packs cache-sized panels and runs a 4×4 register-tiled micro-kernel,
 * sharing the rows of large products with worker threads (`TS_THREADS`).
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { readEnv } from "../backend.ts";
import { blasSgemm } from "./blas.ts";
import { wasmSgemm } from "./wasm_gemm.ts";

const MC = 64, KC = 256, NC = 512;
// The packed panels hold float64: the micro-kernel computes in doubles (as
// all JavaScript arithmetic does), and converting each element once while
// packing instead of at every load in the inner loop made the TypeScript
// GEMM 12-17% faster (256 and 512 matmuls; identical results, since every
// float32 is exactly a double).
let packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * NC);

/**
 * Products smaller than this many multiply-adds skip BLAS: below it the FFI
 * call costs about what the product does (8×8×8: 0.7 µs through OpenBLAS,
 * 0.5 in WebAssembly), above it OpenBLAS wins at every shape measured
 * (16×16×16: 0.34 µs against 1.1 in WebAssembly and 2.5 in TypeScript;
 * 64×64×4: 2.3 against 5.3 and 8.7).
 */
const BLAS_MIN_WORK = 4096;
/**
 * Products smaller than 4096 multiply-adds, or with fewer than 4 rows or
 * columns, take the TypeScript loop without packing: packing (and, for the
 * WebAssembly kernel, the copy of C) costs more than the tiled products
 * save.
 */
function small(m: number, n: number, k: number): boolean {
  return m * n * k < 4096 || m < 4 || n < 4;
}

/**
 * Computes `C[m×n] = op(A)[m×k] · op(B)[k×n]` into row-major `C` with leading
 * dimension `ldc`. `op(X)` is `X` or its transpose; `A` and `B` are
 * row-major with leading dimensions `lda`, `ldb` and element offsets.
 *
 * @param transA Use Aᵀ.
 * @param transB Use Bᵀ.
 * @param m Rows of C.
 * @param n Columns of C.
 * @param k Inner size.
 * @param a A's elements.
 * @param aOff A's offset.
 * @param lda A's leading dimension.
 * @param b B's elements.
 * @param bOff B's offset.
 * @param ldb B's leading dimension.
 * @param c C's elements.
 * @param cOff C's offset.
 * @param ldc C's leading dimension.
 * @param accumulate Add the product to C instead of overwriting it.
 */
export function gemm(
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
): void {
  if (m === 0 || n === 0) return;
  if (
    m * n * k >= BLAS_MIN_WORK &&
    blasSgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate)
  ) {
    return;
  }
  if (
    !small(m, n, k) &&
    wasmSgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate)
  ) {
    return;
  }
  gemmTs(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
}

/**
 * The pure TypeScript GEMM (same contract as {@link gemm}), exported so tests
 * and benchmarks can run it with BLAS loaded.
 *
 * @param transA Use Aᵀ.
 * @param transB Use Bᵀ.
 * @param m Rows of C.
 * @param n Columns of C.
 * @param k Inner size.
 * @param a A's elements.
 * @param aOff A's offset.
 * @param lda A's leading dimension.
 * @param b B's elements.
 * @param bOff B's offset.
 * @param ldb B's leading dimension.
 * @param c C's elements.
 * @param cOff C's offset.
 * @param ldc C's leading dimension.
 * @param accumulate Add the product to C instead of overwriting it.
 */
export function gemmTs(
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
): void {
  const tiny = small(m, n, k);
  // With a single inner block (k ≤ KC) the micro-kernel stores C instead of
  // adding to it, so C needs no zeroing pass.
  const store = !accumulate && !tiny && k <= KC;
  if (!accumulate && !store) {
    for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  }
  if (k === 0) return;
  if (tiny) {
    naive(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    return;
  }
  const helpers = tsHelpers(m, n, k);
  if (helpers > 0) {
    threaded(helpers, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, store);
    return;
  }
  const needA = MC * Math.min(KC, k),
    needB = Math.min(KC, k) * (Math.ceil(Math.min(NC, n) / 4) * 4);
  if (packA.length < needA) packA = new Float64Array(needA);
  if (packB.length < needB) packB = new Float64Array(needB);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelB(packB, transB, b, bOff, ldb, pc, jc, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanelA(packA, transA, a, aOff, lda, ic, pc, mc, kc);
        macroKernel(packA, 0, packB, mc, nc, kc, c, cOff + ic * ldc + jc, ldc, store);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Worker threads for the TypeScript GEMM.

/** Rows of A packed at once, whose 4-row panels are split between threads. */
const MS = 480;
/**
 * Threads for the TypeScript GEMM (which runs large products only when the
 * WebAssembly one is off or missing): `max` caps the total, this thread
 * included, set when the pool starts from `DENDRITE_THREADS` (default:
 * `navigator.hardwareConcurrency`, at most 8); products under `minWork`
 * multiply-adds, or with fewer than 8 rows, stay on this thread. Tests
 * change both. On 2 cores: 256³ 6.8 → 4.9 ms, 512³ 55 → 35, 1024³ 420 →
 * 250; products with an inner size of 32 (Winograd's, 64×490×32) gained
 * nothing, even with the threads spinning before they sleep, so 2^20 keeps
 * most of those on one thread.
 */
export const TS_THREADS = { max: 0, minWork: 1 << 20 };

/**
 * The shared memory: Int32 control words, then (as float64) the packed A of
 * a slab of MS rows, the packed B panel and the workers' slab of C.
 */
const CTL_WORDS = 64, A_BYTE = CTL_WORDS * 4;
const B_BYTE = A_BYTE + MS * KC * 8, C_BYTE = B_BYTE + KC * NC * 8;
const SHARED_BYTES = C_BYTE + MS * NC * 8;
/**
 * Control words: from word 8, eight per worker (a mailbox): the number of
 * the job posted to it, of the last job it finished, whether it is ready,
 * then the job (first and end row, columns, depth).
 */
const BOX = 8, BOX_WORDS = 8, [SEQ, DONE, READY, R0, R1, COLS, DEPTH] = [0, 1, 2, 3, 4, 5, 6];
const MAX_WORKERS = (CTL_WORDS - BOX) / BOX_WORDS;

/**
 * The worker's program (CommonJS, run with `eval`): compile `macroKernel`
 * from its source, say it is ready, then for each job run its rows of the
 * slab in blocks of MC into the float64 C slab and post the job's number
 * back.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
parentPort.once("message", ({ shared, index }) => {
  const macroKernel = (${macroKernel.toString()});
  const box = new Int32Array(shared, 4 * (${BOX} + ${BOX_WORDS} * index), ${BOX_WORDS});
  const ap = new Float64Array(shared, ${A_BYTE}, ${MS * KC});
  const bp = new Float64Array(shared, ${B_BYTE}, ${KC * NC});
  const cs = new Float64Array(shared, ${C_BYTE}, ${MS * NC});
  Atomics.store(box, ${READY}, 1);
  let seq = 0;
  for (;;) {
    Atomics.wait(box, ${SEQ}, seq);
    seq = Atomics.load(box, ${SEQ});
    const r0 = box[${R0}], r1 = box[${R1}], nc = box[${COLS}], kc = box[${DEPTH}];
    for (let ic = r0; ic < r1; ic += ${MC}) {
      macroKernel(ap, ic * kc, bp, Math.min(${MC}, r1 - ic), nc, kc, cs, ic * ${NC}, ${NC}, true);
    }
    Atomics.store(box, ${DONE}, seq);
    Atomics.notify(box, ${DONE});
  }
});`;

let pool:
  | { ap: Float64Array; bp: Float64Array; cs: Float64Array; boxes: Int32Array[]; jobs: number[] }
  | null = null;
let poolTried = false;

function startPool(): void {
  poolTried = true;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const v = Number(readEnv("DENDRITE_THREADS"));
  TS_THREADS.max ||= Number.isInteger(v) && v >= 1
    ? v
    : Math.min(8, Number(nav?.hardwareConcurrency) || 1);
  const want = Math.min(TS_THREADS.max - 1, MAX_WORKERS);
  if (want < 1 || typeof SharedArrayBuffer !== "function") return;
  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const boxes: Int32Array[] = [], jobs: number[] = [];
  for (let i = 0; i < want; i++) {
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.postMessage({ shared, index: i });
      // A worker that fails to start never says it is ready, so it is never
      // given rows; the listener keeps its error from ending the process.
      // unref(): an idle pool never keeps the process alive.
      w.on("error", () => {});
      w.unref();
      boxes.push(new Int32Array(shared, 4 * (BOX + BOX_WORDS * i), BOX_WORDS));
      jobs.push(0);
    } catch {
      break;
    }
  }
  pool = {
    ap: new Float64Array(shared, A_BYTE, MS * KC),
    bp: new Float64Array(shared, B_BYTE, KC * NC),
    cs: new Float64Array(shared, C_BYTE, MS * NC),
    boxes,
    jobs,
  };
}

/**
 * How many TypeScript GEMM worker threads, from the first, have started and
 * can take rows now (they start in the background with the first product
 * large enough for them).
 *
 * @returns The number of ready workers.
 */
export function tsGemmWorkersReady(): number {
  if (!pool) return 0;
  let n = 0;
  while (n < pool.boxes.length && Atomics.load(pool.boxes[n], READY) === 1) n++;
  return n;
}

/** Workers to share a product with: 0 below the size rule or before any is ready. */
function tsHelpers(m: number, n: number, k: number): number {
  if (m * n * k < TS_THREADS.minWork || m < 8) return 0;
  if (!poolTried) startPool();
  return Math.min(tsGemmWorkersReady(), Math.max(0, TS_THREADS.max - 1));
}

/**
 * The TypeScript GEMM with the rows of each packed slab split between this
 * thread (the first share, written straight into C) and `helpers` workers
 * (into the float64 slab, then added into C here). Each element is the same
 * sum in the same order as on one thread, and the slab holds it exactly, so
 * the result does not depend on the split.
 */
function threaded(
  helpers: number,
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
  store: boolean,
): void {
  const { ap, bp, cs, boxes, jobs } = pool!;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelB(bp, transB, b, bOff, ldb, pc, jc, kc, nc);
      for (let is = 0; is < m; is += MS) {
        const rows = Math.min(MS, m - is);
        packPanelA(ap, transA, a, aOff, lda, is, pc, rows, kc);
        const share = Math.ceil(rows / 4 / (helpers + 1)) * 4;
        for (let w = 0; w < helpers; w++) {
          const box = boxes[w];
          box[R0] = Math.min(rows, (w + 1) * share), box[R1] = Math.min(rows, (w + 2) * share);
          box[COLS] = nc, box[DEPTH] = kc;
          Atomics.store(box, SEQ, ++jobs[w]);
          Atomics.notify(box, SEQ);
        }
        const mine = Math.min(rows, share);
        for (let ic = 0; ic < mine; ic += MC) {
          const mc = Math.min(MC, mine - ic);
          macroKernel(ap, ic * kc, bp, mc, nc, kc, c, cOff + (is + ic) * ldc + jc, ldc, store);
        }
        for (let w = 0; w < helpers; w++) {
          const box = boxes[w];
          let done: number;
          while ((done = Atomics.load(box, DONE)) !== jobs[w]) {
            if (
              Atomics.wait(box, DONE, done, 10_000) === "timed-out" &&
              Atomics.load(box, DONE) === done
            ) {
              throw new Error(
                `gemm: TypeScript GEMM worker thread ${w} did not finish its rows within 10 s; set DENDRITE_THREADS=1 to multiply on one thread`,
              );
            }
          }
        }
        addSlab(cs, c, cOff + is * ldc + jc, ldc, mine, rows, nc, store);
      }
    }
  }
}

/** Rows `[r0, r1)` of the workers' slab into C (stored, or added to it). */
function addSlab(
  cs: Float64Array,
  c: Float32Array,
  cBase: number,
  ldc: number,
  r0: number,
  r1: number,
  nc: number,
  store: boolean,
): void {
  for (let r = r0; r < r1; r++) {
    const o = cBase + r * ldc, q = r * NC;
    if (store) { for (let j = 0; j < nc; j++) c[o + j] = cs[q + j]; }
    else for (let j = 0; j < nc; j++) c[o + j] += cs[q + j];
  }
}

/** Packs op(B)[pc:pc+kc, jc:jc+nc] as 4-column panels: [panel][p][4], zero-padded. */
function packPanelB(
  bp: Float64Array,
  transB: boolean,
  b: Float32Array,
  bOff: number,
  ldb: number,
  pc: number,
  jc: number,
  kc: number,
  nc: number,
): void {
  let o = 0;
  for (let j = 0; j < nc; j += 4) {
    const w = Math.min(4, nc - j);
    for (let p = 0; p < kc; p++) {
      for (let jj = 0; jj < 4; jj++) {
        if (jj < w) {
          const row = pc + p, col = jc + j + jj;
          bp[o++] = transB ? b[bOff + col * ldb + row] : b[bOff + row * ldb + col];
        } else bp[o++] = 0;
      }
    }
  }
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc] as 4-row panels: [panel][p][4], zero-padded. */
function packPanelA(
  ap: Float64Array,
  transA: boolean,
  a: Float32Array,
  aOff: number,
  lda: number,
  ic: number,
  pc: number,
  mc: number,
  kc: number,
): void {
  let o = 0;
  for (let i = 0; i < mc; i += 4) {
    const h = Math.min(4, mc - i);
    for (let p = 0; p < kc; p++) {
      for (let ii = 0; ii < 4; ii++) {
        if (ii < h) {
          const row = ic + i + ii, col = pc + p;
          ap[o++] = transA ? a[aOff + col * lda + row] : a[aOff + row * lda + col];
        } else ap[o++] = 0;
      }
    }
  }
}

/**
 * `C[mc×nc] (=|+=) A·B` from packed panels: `ap` from `a0` (4-row panels of
 * depth `kc`), `bp` (4-column panels). Self-contained (no outer variables):
 * the TypeScript GEMM's worker threads run its source (`toString`), each
 * compiling its own copy, which writes a float64 slab where this thread
 * writes the float32 C.
 */
function macroKernel(
  ap: Float64Array,
  a0: number,
  bp: Float64Array,
  mc: number,
  nc: number,
  kc: number,
  c: Float32Array | Float64Array,
  cBase: number,
  ldc: number,
  store: boolean,
): void {
  for (let j = 0; j < nc; j += 4) {
    const bBase = (j >> 2) * kc * 4;
    const w = Math.min(4, nc - j);
    for (let i = 0; i < mc; i += 4) {
      const aBase = a0 + (i >> 2) * kc * 4;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let ai = aBase, bi = bBase;
      for (let p = 0; p < kc; p++, ai += 4, bi += 4) {
        const a0 = ap[ai], a1 = ap[ai + 1], a2 = ap[ai + 2], a3 = ap[ai + 3];
        const b0 = bp[bi], b1 = bp[bi + 1], b2 = bp[bi + 2], b3 = bp[bi + 3];
        c00 += a0 * b0, c01 += a0 * b1, c02 += a0 * b2, c03 += a0 * b3;
        c10 += a1 * b0, c11 += a1 * b1, c12 += a1 * b2, c13 += a1 * b3;
        c20 += a2 * b0, c21 += a2 * b1, c22 += a2 * b2, c23 += a2 * b3;
        c30 += a3 * b0, c31 += a3 * b1, c32 += a3 * b2, c33 += a3 * b3;
      }
      const h = Math.min(4, mc - i);
      const r0 = cBase + i * ldc + j;
      if (w === 4 && h === 4 && store) {
        c[r0] = c00, c[r0 + 1] = c01, c[r0 + 2] = c02, c[r0 + 3] = c03;
        const r1 = r0 + ldc;
        c[r1] = c10, c[r1 + 1] = c11, c[r1 + 2] = c12, c[r1 + 3] = c13;
        const r2 = r1 + ldc;
        c[r2] = c20, c[r2 + 1] = c21, c[r2 + 2] = c22, c[r2 + 3] = c23;
        const r3 = r2 + ldc;
        c[r3] = c30, c[r3 + 1] = c31, c[r3 + 2] = c32, c[r3 + 3] = c33;
      } else if (w === 4 && h === 4) {
        c[r0] += c00, c[r0 + 1] += c01, c[r0 + 2] += c02, c[r0 + 3] += c03;
        const r1 = r0 + ldc;
        c[r1] += c10, c[r1 + 1] += c11, c[r1 + 2] += c12, c[r1 + 3] += c13;
        const r2 = r1 + ldc;
        c[r2] += c20, c[r2 + 1] += c21, c[r2 + 2] += c22, c[r2 + 3] += c23;
        const r3 = r2 + ldc;
        c[r3] += c30, c[r3 + 1] += c31, c[r3 + 2] += c32, c[r3 + 3] += c33;
      } else {
        const acc = [
          c00,
          c01,
          c02,
          c03,
          c10,
          c11,
          c12,
          c13,
          c20,
          c21,
          c22,
          c23,
          c30,
          c31,
          c32,
          c33,
        ];
        for (let ii = 0; ii < h; ii++) {
          for (let jj = 0; jj < w; jj++) {
            const o = r0 + ii * ldc + jj;
            c[o] = store ? acc[ii * 4 + jj] : c[o] + acc[ii * 4 + jj];
          }
        }
      }
    }
  }
}

function naive(
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
): void {
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * ldc;
    for (let p = 0; p < k; p++) {
      const av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
      if (av === 0) continue;
      if (!transB) {
        const bp = bOff + p * ldb;
        for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
      } else {
        for (let j = 0; j < n; j++) c[ci + j] += av * b[bOff + j * ldb + p];
      }
    }
  }
}
