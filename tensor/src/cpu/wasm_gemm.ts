/**
 * A WebAssembly SIMD GEMM for the CPU backend when no native BLAS is loaded.
 *
 * The module is written here, byte by byte, by a small emitter (no binary
 * file ships with the package): one function, the macro-kernel, that runs a
 * register-tiled `MR × NR` micro-kernel over packed panels, four float32
 * lanes per instruction, with fused multiply-adds (`f32x4.relaxed_madd`)
 * where the runtime has relaxed SIMD and a multiply then an add where it has
 * only SIMD. TypeScript packs cache-sized panels of A and B into the
 * module's memory, the module writes a block of C there, and TypeScript
 * copies (or adds) that block into C.
 *
 * Products of 2^25 multiply-adds or more also run on worker threads
 * (`node:worker_threads`, up to `navigator.hardwareConcurrency` threads in
 * all, at most 8, or `DENDRITE_THREADS`): the memory is shared, each worker
 * compiles the same module, and each packed slab's rows are split between
 * this thread and the workers, which wait on `Atomics.wait` between jobs.
 * Packing stays on this thread. The workers are `unref`'d, so they never
 * keep a process alive; they start in the background with the first
 * product, which runs on this thread alone. On the 2-core test machine: the
 * 1024 matmul 51 → 33 ms, 512 6.3 → 4.1 ms; below about 256³ the hand-off
 * (about 30 µs a job) costs more than it saves.
 *
 * It is used when the runtime has WebAssembly SIMD, unless `DENDRITE_WASM=off`
 * or `setWasmEnabled(false)` turns the WebAssembly kernels off (see
 * `wasm_emit.ts`); then the pure TypeScript kernel (`gemm.ts`) runs.
 *
 * @module
 */
import { awaitJob, startWorkers, threadsWanted } from "./threads.ts";
import {
  instantiateWasm,
  WASM_OP,
  WASM_SIMD,
  WASM_TYPE,
  WasmCode,
  wasmInfo,
  wasmModule,
} from "./wasm_emit.ts";

/**
 * Rows and columns of the micro-kernel's register tile: 12 accumulators, 2
 * vectors of B and a broadcast of A fill 15 of the 16 SIMD registers V8 uses
 * on x64. Measured on one core of the AMD EPYC (Zen 5), GFLOPS at 256–1024:
 * 6×8 42–45, 5×8 about the same, 4×8 39–40, 3×8 33, 8×8 (spills) 22–28,
 * 4×12 and 4×16 21–27; unrolling the inner loop by 2 lost 30%. The cache
 * blocks made no difference beyond noise between 48 and 128 rows, 256 and
 * 512 deep, 256 and 512 columns.
 */
const MR = 6, NR = 8;
/** Cache blocks: rows of A per packed block, inner size per block, columns of B per panel. */
const MC = 96, KC = 256, NC = 512;
/** Rows of C per slab (a multiple of MR): the module holds a `MS × NC` block of C. */
const MS = 480;

/**
 * The module's bytes: it imports `env.mem` and exports
 * `kernel(mc, nc, kc, aPtr, bPtr, cPtr, ldcBytes, accumulate)`, which sets
 * (or, with `accumulate`, adds to) the `mc × nc` block of C at `cPtr` to the
 * product of the packed A (`mc/MR` panels of `kc × MR`) and packed B (`nc/NR`
 * panels of `kc × NR`). `mc` and `nc` are multiples of MR and NR, `kc ≥ 1`.
 */
function emitModule(fused: boolean): Uint8Array<ArrayBuffer> {
  const NV = NR / 4; // vectors per row of the tile
  // Parameters 0–7; i32 locals 8–13; v128 locals from 14.
  const [mc, nc, kc, aPtr, bPtr, cPtr, ldc, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [j, i, ap, bp, aEnd, cp] = [8, 9, 10, 11, 12, 13];
  const acc = 14, bv = acc + MR * NV, av = bv + NV;
  const w = new WasmCode();
  const { block, loop, end, br, brIf, i32GeS, i32LtS, i32Add, i32Mul, i32Shl } = WASM_OP;
  const EMPTY = WASM_TYPE.empty;
  const panelStart = (base: number, index: number, out: number) => {
    // out = base + index · kc · 4 (bytes): panel `index / R` of `kc × R` floats.
    w.get(base).get(index).get(kc).op(i32Mul).i32(2).op(i32Shl).op(i32Add).set(out);
  };

  w.i32(0).set(j);
  w.op(block, EMPTY, loop, EMPTY); // for (j = 0; j < nc; j += NR)
  w.get(j).get(nc).op(i32GeS, brIf, 1);
  w.i32(0).set(i);
  w.op(block, EMPTY, loop, EMPTY); // for (i = 0; i < mc; i += MR)
  w.get(i).get(mc).op(i32GeS, brIf, 1);
  panelStart(aPtr, i, ap);
  panelStart(bPtr, j, bp);
  w.get(ap).get(kc).i32(MR * 4).op(i32Mul, i32Add).set(aEnd);
  for (let r = 0; r < MR * NV; r++) w.simd(WASM_SIMD.const, ...new Array(16).fill(0)).set(acc + r);
  w.op(loop, EMPTY); // for (p = 0; p < kc; p++)
  for (let v = 0; v < NV; v++) w.get(bp).simd(WASM_SIMD.load, ...w.mem(4, v * 16)).set(bv + v);
  for (let r = 0; r < MR; r++) {
    w.get(ap).simd(WASM_SIMD.load32Splat, ...w.mem(2, r * 4)).set(av);
    for (let v = 0; v < NV; v++) {
      const t = acc + r * NV + v;
      if (fused) w.get(av).get(bv + v).get(t).simd(WASM_SIMD.f32x4RelaxedMadd);
      else w.get(t).get(av).get(bv + v).simd(WASM_SIMD.f32x4Mul).simd(WASM_SIMD.f32x4Add);
      w.set(t);
    }
  }
  w.get(ap).i32(MR * 4).op(i32Add).set(ap);
  w.get(bp).i32(NR * 4).op(i32Add).set(bp);
  w.get(ap).get(aEnd).op(i32LtS, brIf, 0);
  w.op(end);
  // cp = cPtr + i · ldc + j · 4
  w.get(cPtr).get(i).get(ldc).op(i32Mul, i32Add);
  w.get(j).i32(2).op(i32Shl, i32Add).set(cp);
  for (let r = 0; r < MR; r++) {
    for (let v = 0; v < NV; v++) {
      const t = acc + r * NV + v;
      w.get(cp);
      w.get(accumulate).op(WASM_OP.if, WASM_TYPE.v128);
      w.get(t).get(cp).simd(WASM_SIMD.load, ...w.mem(4, v * 16)).simd(WASM_SIMD.f32x4Add);
      w.op(WASM_OP.else).get(t);
      w.op(end);
      w.simd(WASM_SIMD.store, ...w.mem(4, v * 16));
    }
    w.get(cp).get(ldc).op(i32Add).set(cp);
  }
  w.get(i).i32(MR).op(i32Add).set(i);
  w.op(br, 0, end, end);
  w.get(j).i32(NR).op(i32Add).set(j);
  w.op(br, 0, end, end);
  return wasmModule({
    name: "kernel",
    params: new Array(8).fill(WASM_TYPE.i32),
    locals: [[6, WASM_TYPE.i32], [MR * NV + NV + 1, WASM_TYPE.v128]],
    code: w,
    sharedMaxPages: PAGES,
  });
}

// ---------------------------------------------------------------------------
// Loading, and the worker threads.

type Kernel = (
  mc: number,
  nc: number,
  kc: number,
  aPtr: number,
  bPtr: number,
  cPtr: number,
  ldcBytes: number,
  accumulate: number,
) => void;

/**
 * The shared memory: a control block of Int32 words (below), the packed A of
 * a whole slab, the packed B panel, the slab of C.
 */
const CTL_WORDS = 64, A_PTR = CTL_WORDS * 4;
const B_PTR = A_PTR + MS * KC * 4, C_PTR = B_PTR + KC * NC * 4;
const BYTES = C_PTR + MS * NC * 4;
const PAGES = Math.ceil(BYTES / 65536);
/**
 * Control words: from word 8, eight per worker (a mailbox): the number of
 * the job posted to it, of the last job it finished, whether it is ready,
 * then the job (first and end row, columns, depth, accumulate).
 */
const BOX = 8,
  BOX_WORDS = 8,
  [SEQ, DONE, READY, R0, R1, COLS, DEPTH, ACC] = [0, 1, 2, 3, 4, 5, 6, 7];
/** At most this many workers fit the control block. */
const MAX_WORKERS = (CTL_WORDS - BOX) / BOX_WORDS;

/**
 * The worker's program (CommonJS, run with `eval`): compile the kernel over
 * the shared memory, say it is ready, then for each job posted to its
 * mailbox run its rows of the slab in blocks of MC and post the job's number
 * back.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
parentPort.once("message", ({ bytes, memory, index }) => {
  const kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } }).exports.kernel;
  const box = new Int32Array(memory.buffer, 4 * (${BOX} + ${BOX_WORDS} * index), ${BOX_WORDS});
  Atomics.store(box, ${READY}, 1);
  let seq = 0;
  for (;;) {
    Atomics.wait(box, ${SEQ}, seq);
    seq = Atomics.load(box, ${SEQ});
    const r0 = box[${R0}], r1 = box[${R1}], nc = box[${COLS}], kc = box[${DEPTH}], acc = box[${ACC}];
    for (let ic = r0; ic < r1; ic += ${MC}) {
      kernel(Math.min(${MC}, r1 - ic), nc, kc, ${A_PTR} + ic * kc * 4, ${B_PTR}, ${C_PTR} + ic * ${
  NC * 4
}, ${NC * 4}, acc);
    }
    Atomics.store(box, ${DONE}, seq);
    Atomics.notify(box, ${DONE});
  }
});`;

/**
 * Threads for the WebAssembly GEMM: `max` caps the total (this thread
 * included), set when the pool starts from `DENDRITE_THREADS` (default:
 * `navigator.hardwareConcurrency`, at most 8; at most 8 in all, the size of
 * the control block); products under `minWork` multiply-adds stay on this
 * thread. Tests change both.
 */
export const WASM_THREADS = { max: 0, minWork: 1 << 25 };

let kernel: Kernel | null = null;
let view: Float32Array | null = null;
const boxes: Int32Array[] = [];
const jobs: number[] = [];
let tried = false;

function load(): void {
  tried = true;
  const variants = [emitModule(true), emitModule(false)];
  const r = instantiateWasm<Kernel>(variants, BYTES, "kernel", true);
  if (!("kernel" in r)) return;
  kernel = r.kernel.fn;
  view = r.kernel.f32;
  WASM_THREADS.max ||= threadsWanted();
  // The workers start in the background; until they say they are ready,
  // products run on this thread alone. unref(): an idle pool never keeps
  // the process alive.
  const started = startWorkers(
    WORKER_SOURCE,
    Math.min(WASM_THREADS.max - 1, MAX_WORKERS),
    (i) => ({ bytes: variants[r.variant], memory: r.kernel.memory, index: i }),
  );
  for (let i = 0; i < started; i++) {
    boxes.push(new Int32Array(r.kernel.memory.buffer, 4 * (BOX + BOX_WORDS * i), BOX_WORDS));
    jobs.push(0);
  }
}

/**
 * How many GEMM worker threads, from the first, have started and can take
 * rows now (they start in the background with the first WebAssembly
 * product).
 *
 * @returns The number of ready workers.
 */
export function wasmGemmWorkersReady(): number {
  let n = 0;
  while (n < boxes.length && Atomics.load(boxes[n], READY) === 1) n++;
  return n;
}

/**
 * Runs rows `[0, rows)` of the packed slab, split between this thread and
 * the first `helpers` workers at multiples of MR, and waits for the workers.
 */
function runSlab(run: Kernel, helpers: number, rows: number, nc: number, kc: number, acc: number) {
  const share = Math.ceil(rows / MR / (helpers + 1)) * MR;
  for (let w = 0; w < helpers; w++) {
    const box = boxes[w];
    box[R0] = Math.min(rows, (w + 1) * share), box[R1] = Math.min(rows, (w + 2) * share);
    box[COLS] = nc, box[DEPTH] = kc, box[ACC] = acc;
    Atomics.store(box, SEQ, ++jobs[w]);
    Atomics.notify(box, SEQ);
  }
  const mine = Math.min(rows, share);
  for (let ic = 0; ic < mine; ic += MC) {
    run(
      Math.min(MC, mine - ic),
      nc,
      kc,
      A_PTR + ic * kc * 4,
      B_PTR,
      C_PTR + ic * NC * 4,
      NC * 4,
      acc,
    );
  }
  for (let w = 0; w < helpers; w++) {
    awaitJob(boxes[w], DONE, jobs[w], () =>
      new Error(
        `wasmSgemm: GEMM worker thread ${w} did not finish its rows within 10 s; set DENDRITE_THREADS=1 to multiply on one thread`,
      ));
  }
}

// ---------------------------------------------------------------------------
// The driver.

/**
 * `C[m×n] = op(A)[m×k] · op(B)[k×n]` (or `+=` with `accumulate`) through the
 * WebAssembly kernel; the contract of `gemm` in gemm.ts. Large products
 * split each slab's rows between worker threads (`WASM_THREADS`); every
 * element is computed by one thread in the same order, so the result does
 * not depend on the split.
 *
 * @returns False when the WebAssembly GEMM is off or unavailable (the caller falls back).
 */
export function wasmSgemm(
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
  if (!wasmInfo().enabled) return false;
  if (!tried) load();
  if (!kernel || !view) return false;
  const run = kernel, f = view;
  if (k === 0) {
    if (!accumulate) { for (let r = 0; r < m; r++) c.fill(0, cOff + r * ldc, cOff + r * ldc + n); }
    return true;
  }
  const helpers = m * n * k >= WASM_THREADS.minWork
    ? Math.min(wasmGemmWorkersReady(), WASM_THREADS.max - 1)
    : 0;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc), ncPad = Math.ceil(nc / NR) * NR;
    for (let is = 0; is < m; is += MS) {
      const ms = Math.min(MS, m - is), msPad = Math.ceil(ms / MR) * MR;
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(f, transB, b, bOff, ldb, pc, jc, kc, nc);
        packA(f, transA, a, aOff, lda, is, pc, ms, kc);
        runSlab(run, Math.min(helpers, msPad / MR - 1), msPad, ncPad, kc, pc > 0 ? 1 : 0);
      }
      // Copy (or add) the slab's block into C.
      const src0 = C_PTR >> 2;
      for (let r = 0; r < ms; r++) {
        const s = src0 + r * NC, d = cOff + (is + r) * ldc + jc;
        if (accumulate) { for (let q = 0; q < nc; q++) c[d + q] += f[s + q]; }
        else c.set(f.subarray(s, s + nc), d);
      }
    }
  }
  return true;
}

/** Packs op(B)[pc:pc+kc, jc:jc+nc] at B_PTR as NR-column panels `[panel][p][NR]`, zero-padded. */
function packB(
  f: Float32Array,
  trans: boolean,
  b: Float32Array,
  bOff: number,
  ldb: number,
  pc: number,
  jc: number,
  kc: number,
  nc: number,
): void {
  let o = B_PTR >> 2;
  for (let j = 0; j < nc; j += NR) {
    const w = Math.min(NR, nc - j);
    if (!trans) {
      // B[p][col] at b[bOff + p·ldb + col]: each row of the panel is contiguous.
      let src = bOff + pc * ldb + jc + j;
      if (w === NR) {
        for (let p = 0; p < kc; p++, src += ldb, o += NR) {
          f[o] = b[src], f[o + 1] = b[src + 1], f[o + 2] = b[src + 2], f[o + 3] = b[src + 3];
          f[o + 4] = b[src + 4],
            f[o + 5] = b[src + 5],
            f[o + 6] = b[src + 6],
            f[o + 7] = b[src + 7];
        }
      } else {
        for (let p = 0; p < kc; p++, src += ldb, o += NR) {
          for (let q = 0; q < NR; q++) f[o + q] = q < w ? b[src + q] : 0;
        }
      }
    } else {
      // B[p][col] at b[bOff + col·ldb + p]: each column of the panel is contiguous.
      for (let q = 0; q < NR; q++) {
        if (q < w) {
          const src = bOff + (jc + j + q) * ldb + pc;
          for (let p = 0; p < kc; p++) f[o + p * NR + q] = b[src + p];
        } else {
          for (let p = 0; p < kc; p++) f[o + p * NR + q] = 0;
        }
      }
      o += kc * NR;
    }
  }
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc] at A_PTR as MR-row panels `[panel][p][MR]`, zero-padded. */
function packA(
  f: Float32Array,
  trans: boolean,
  a: Float32Array,
  aOff: number,
  lda: number,
  ic: number,
  pc: number,
  mc: number,
  kc: number,
): void {
  let o = A_PTR >> 2;
  for (let i = 0; i < mc; i += MR) {
    const h = Math.min(MR, mc - i);
    if (trans) {
      // A[row][p] at a[aOff + p·lda + row]: each step of the panel is contiguous.
      let src = aOff + pc * lda + ic + i;
      if (h === MR) {
        for (let p = 0; p < kc; p++, src += lda, o += MR) {
          f[o] = a[src], f[o + 1] = a[src + 1], f[o + 2] = a[src + 2];
          f[o + 3] = a[src + 3], f[o + 4] = a[src + 4], f[o + 5] = a[src + 5];
        }
      } else {
        for (let p = 0; p < kc; p++, src += lda, o += MR) {
          for (let q = 0; q < MR; q++) f[o + q] = q < h ? a[src + q] : 0;
        }
      }
    } else {
      // A[row][p] at a[aOff + row·lda + p]: each row of the panel is contiguous.
      for (let q = 0; q < MR; q++) {
        if (q < h) {
          const src = aOff + (ic + i + q) * lda + pc;
          for (let p = 0; p < kc; p++) f[o + p * MR + q] = a[src + p];
        } else {
          for (let p = 0; p < kc; p++) f[o + p * MR + q] = 0;
        }
      }
      o += kc * MR;
    }
  }
}
