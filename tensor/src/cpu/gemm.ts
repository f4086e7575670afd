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
import { awaitJob, startWorkers, threadsWanted } from "./threads.ts";
import { blasInfo, blasSgemm } from "./blas.ts";
import { wasmInfo } from "./wasm_emit.ts";
import { wasmSgemm } from "./wasm_gemm.ts";

const MC = 64, KC = 256, NC = 512;
// The packed panels hold float64: the micro-kernel computes in doubles (as
// all JavaScript arithmetic does), and converting each element once while
// packing instead of at every load in the inner loop made the TypeScript
// GEMM 12-17% faster (256 and 512 matmuls; identical results, since every
// float32 is exactly a double).
const packA = new Float64Array(MC * KC);
const packB = new Float64Array(KC * NC);

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
  const helpers = small(m, n, k) || k === 0 ? 0 : tsHelpers(m, n, k);
  if (helpers > 0) {
    // With a single inner block (k ≤ KC) the micro-kernel stores C instead
    // of adding to it, so C needs no zeroing pass.
    const store = !accumulate && k <= KC;
    if (!accumulate && !store) {
      for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
    }
    threaded(helpers, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, store);
    return;
  }
  gemmTsCore(
    packA,
    packB,
    transA,
    transB,
    m,
    n,
    k,
    a,
    aOff,
    lda,
    b,
    bOff,
    ldb,
    c,
    cOff,
    ldc,
    accumulate,
  );
}

/**
 * The TypeScript GEMM on one thread, with the packing buffers passed in
 * (`MC·KC` and `KC·NC` doubles). It, `small`, `naive`, the packing functions
 * and `macroKernel` refer only to each other and to MC, KC and NC, so the
 * worker threads run their sources too (`batch` jobs).
 */
function gemmTsCore(
  ap: Float64Array,
  bp: Float64Array,
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
  accumulate: boolean,
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
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelB(bp, transB, b, bOff, ldb, pc, jc, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanelA(ap, transA, a, aOff, lda, ic, pc, mc, kc);
        macroKernel(ap, 0, bp, mc, nc, kc, c, cOff + ic * ldc + jc, ldc, store);
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
/** Job descriptors of `gemmBatch` (JOB_WORDS Int32 words each), then its operand arena. */
const JOB_WORDS = 12, MAX_JOBS = 512, J_BYTE = C_BYTE + MS * NC * 8;
const O_BYTE = J_BYTE + MAX_JOBS * JOB_WORDS * 4, OPERAND_FLOATS = 1 << 23;
const SHARED_BYTES = O_BYTE + OPERAND_FLOATS * 4;
/**
 * Control words: from word 8, eight per worker (a mailbox): the number of
 * the job posted to it, of the last job it finished, whether it is ready,
 * then the job: first and end row, columns, depth, and the mode (0: rows of
 * the packed slab; 1: products `[R0, R1)` of the job table).
 */
const BOX = 8,
  BOX_WORDS = 8,
  [SEQ, DONE, READY, R0, R1, COLS, DEPTH, MODE] = [0, 1, 2, 3, 4, 5, 6, 7];
const MAX_WORKERS = (CTL_WORDS - BOX) / BOX_WORDS;

/**
 * The worker's program (CommonJS, run with `eval`): compile `macroKernel`
 * from its source, say it is ready, then for each job run its rows of the
 * slab in blocks of MC into the float64 C slab and post the job's number
 * back.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const MC = ${MC}, KC = ${KC}, NC = ${NC};
${small.toString()}
${naive.toString()}
${packPanelA.toString()}
${packPanelB.toString()}
${macroKernel.toString()}
${gemmTsCore.toString()}
parentPort.once("message", ({ shared, index }) => {
  const box = new Int32Array(shared, 4 * (${BOX} + ${BOX_WORDS} * index), ${BOX_WORDS});
  const ap = new Float64Array(shared, ${A_BYTE}, ${MS * KC});
  const bp = new Float64Array(shared, ${B_BYTE}, ${KC * NC});
  const cs = new Float64Array(shared, ${C_BYTE}, ${MS * NC});
  const jt = new Int32Array(shared, ${J_BYTE}, ${MAX_JOBS * JOB_WORDS});
  const ops = new Float32Array(shared, ${O_BYTE}, ${OPERAND_FLOATS});
  const pa = new Float64Array(MC * KC), pb = new Float64Array(KC * NC);
  Atomics.store(box, ${READY}, 1);
  let seq = 0;
  for (;;) {
    Atomics.wait(box, ${SEQ}, seq);
    seq = Atomics.load(box, ${SEQ});
    const r0 = box[${R0}], r1 = box[${R1}];
    if (box[${MODE}] === 1) {
      for (let j = r0; j < r1; j++) {
        const d = j * ${JOB_WORDS};
        gemmTsCore(pa, pb, jt[d] === 1, jt[d + 1] === 1, jt[d + 2], jt[d + 3], jt[d + 4],
          ops, jt[d + 5], jt[d + 6], ops, jt[d + 7], jt[d + 8], ops, jt[d + 9], jt[d + 10], jt[d + 11] === 1);
      }
    } else {
      const nc = box[${COLS}], kc = box[${DEPTH}];
      for (let ic = r0; ic < r1; ic += MC) {
        macroKernel(ap, ic * kc, bp, Math.min(MC, r1 - ic), nc, kc, cs, ic * NC, NC, true);
      }
    }
    Atomics.store(box, ${DONE}, seq);
    Atomics.notify(box, ${DONE});
  }
});`;

let pool: {
  ap: Float64Array;
  bp: Float64Array;
  cs: Float64Array;
  jt: Int32Array;
  ops: Float32Array;
  boxes: Int32Array[];
  jobs: number[];
} | null = null;
let poolTried = false;

function startPool(): void {
  poolTried = true;
  TS_THREADS.max ||= threadsWanted();
  const want = Math.min(TS_THREADS.max - 1, MAX_WORKERS);
  if (want < 1 || typeof SharedArrayBuffer !== "function") return;
  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const started = startWorkers(WORKER_SOURCE, want, (index) => ({ shared, index }));
  const boxes: Int32Array[] = [], jobs: number[] = [];
  for (let i = 0; i < started; i++) {
    boxes.push(new Int32Array(shared, 4 * (BOX + BOX_WORDS * i), BOX_WORDS));
    jobs.push(0);
  }
  pool = {
    ap: new Float64Array(shared, A_BYTE, MS * KC),
    bp: new Float64Array(shared, B_BYTE, KC * NC),
    cs: new Float64Array(shared, C_BYTE, MS * NC),
    jt: new Int32Array(shared, J_BYTE, MAX_JOBS * JOB_WORDS),
    ops: new Float32Array(shared, O_BYTE, OPERAND_FLOATS),
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
          box[COLS] = nc, box[DEPTH] = kc, box[MODE] = 0;
          Atomics.store(box, SEQ, ++jobs[w]);
          Atomics.notify(box, SEQ);
        }
        const mine = Math.min(rows, share);
        for (let ic = 0; ic < mine; ic += MC) {
          const mc = Math.min(MC, mine - ic);
          macroKernel(ap, ic * kc, bp, mc, nc, kc, c, cOff + (is + ic) * ldc + jc, ldc, store);
        }
        waitFor(helpers);
        addSlab(cs, c, cOff + is * ldc + jc, ldc, mine, rows, nc, store);
      }
    }
  }
}

/** Waits until the first `helpers` workers have finished the jobs posted to them. */
function waitFor(helpers: number): void {
  const { boxes, jobs } = pool!;
  for (let w = 0; w < helpers; w++) {
    awaitJob(boxes[w], DONE, jobs[w], () =>
      new Error(
        `gemm: TypeScript GEMM worker thread ${w} did not finish its work within 10 s; set DENDRITE_THREADS=1 to multiply on one thread`,
      ));
  }
}

// ---------------------------------------------------------------------------
// Batches of independent products (Winograd's 16 per chunk).

/** One product of a batch: the arguments of {@link gemm}. */
export interface GemmJob {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  a: Float32Array;
  aOff: number;
  lda: number;
  b: Float32Array;
  bOff: number;
  ldb: number;
  c: Float32Array;
  cOff: number;
  ldc: number;
  accumulate?: boolean;
}

/** Whether the TypeScript GEMM (not BLAS or WebAssembly) runs a product of this shape. */
function tsRuns(m: number, n: number, k: number): boolean {
  if (m * n * k >= BLAS_MIN_WORK && blasInfo().enabled) return false;
  return small(m, n, k) || !wasmInfo().enabled;
}

/**
 * Arrays of the given sizes (floats) in the memory the TypeScript GEMM's
 * worker threads share, when a batch of products of `work` multiply-adds
 * in all, of `m × n × k` each, would be split between them (the TypeScript
 * GEMM runs them, workers are ready, the sizes fit); else undefined and the
 * caller uses its own arrays. The views hold whatever was there and stay
 * valid until the next call.
 *
 * @param sizes Floats of each array.
 * @param m Rows of each product.
 * @param n Columns of each product.
 * @param k Inner size of each product.
 * @param work Multiply-adds of the whole batch.
 * @returns The views, or undefined.
 */
export function batchOperands(
  sizes: number[],
  m: number,
  n: number,
  k: number,
  work: number,
): Float32Array[] | undefined {
  if (work < TS_THREADS.minWork || !tsRuns(m, n, k)) return undefined;
  if (!poolTried) startPool();
  if (!pool || Math.min(tsGemmWorkersReady(), TS_THREADS.max - 1) < 1) return undefined;
  const out: Float32Array[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at + size > OPERAND_FLOATS) return undefined;
    out.push(pool.ops.subarray(at, at + size));
    at += Math.ceil(size / 16) * 16;
  }
  return out;
}

/**
 * Runs independent products (no two may write the same part of C). When
 * every operand lies in the arrays of {@link batchOperands} and the
 * TypeScript GEMM runs them, whole products are shared out between this
 * thread and the workers (each product computed as on one thread, so the
 * result does not depend on the split); otherwise they run one by one
 * through {@link gemm}.
 *
 * @param jobs The products.
 */
export function gemmBatch(jobs: readonly GemmJob[]): void {
  const p = pool;
  const helpers = p ? Math.min(tsGemmWorkersReady(), Math.max(0, TS_THREADS.max - 1)) : 0;
  const inArena = (x: Float32Array) => p !== null && x.buffer === p.ops.buffer;
  const shared = helpers > 0 && jobs.length > 1 && jobs.length <= MAX_JOBS &&
    jobs.every((j) => inArena(j.a) && inArena(j.b) && inArena(j.c) && tsRuns(j.m, j.n, j.k));
  if (!shared) {
    for (const j of jobs) {
      gemm(
        j.transA,
        j.transB,
        j.m,
        j.n,
        j.k,
        j.a,
        j.aOff,
        j.lda,
        j.b,
        j.bOff,
        j.ldb,
        j.c,
        j.cOff,
        j.ldc,
        j.accumulate,
      );
    }
    return;
  }
  const { jt, ops, boxes, jobs: seqs } = p!;
  const base = ops.byteOffset / 4;
  const at = (x: Float32Array, off: number) => x.byteOffset / 4 - base + off;
  jobs.forEach((j, i) => {
    const d = i * JOB_WORDS;
    jt[d] = j.transA ? 1 : 0, jt[d + 1] = j.transB ? 1 : 0;
    jt[d + 2] = j.m, jt[d + 3] = j.n, jt[d + 4] = j.k;
    jt[d + 5] = at(j.a, j.aOff), jt[d + 6] = j.lda;
    jt[d + 7] = at(j.b, j.bOff), jt[d + 8] = j.ldb;
    jt[d + 9] = at(j.c, j.cOff), jt[d + 10] = j.ldc;
    jt[d + 11] = j.accumulate ? 1 : 0;
  });
  const used = Math.min(helpers, jobs.length - 1);
  const share = Math.ceil(jobs.length / (used + 1));
  for (let w = 0; w < used; w++) {
    const box = boxes[w];
    box[R0] = Math.min(jobs.length, (w + 1) * share);
    box[R1] = Math.min(jobs.length, (w + 2) * share);
    box[MODE] = 1;
    Atomics.store(box, SEQ, ++seqs[w]);
    Atomics.notify(box, SEQ);
  }
  for (let i = 0; i < Math.min(share, jobs.length); i++) {
    const j = jobs[i];
    gemmTsCore(
      packA,
      packB,
      j.transA,
      j.transB,
      j.m,
      j.n,
      j.k,
      j.a,
      j.aOff,
      j.lda,
      j.b,
      j.bOff,
      j.ldb,
      j.c,
      j.cOff,
      j.ldc,
      j.accumulate ?? false,
    );
  }
  waitFor(used);
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
