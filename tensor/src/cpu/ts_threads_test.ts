// The TypeScript GEMM's worker threads (used when the WebAssembly GEMM is off
// or missing): the split of a slab's rows gives the same bits as one thread,
// and a process that used them exits by itself.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { Generator } from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import {
  batchOperands,
  gemm,
  gemmBatch,
  type GemmJob,
  gemmTs,
  TS_THREADS,
  tsGemmWorkersReady,
} from "./gemm.ts";
import { setWasmEnabled } from "./wasm_emit.ts";
import { setBlasEnabled } from "./blas.ts";
import { setDnnlEnabled } from "./dnnl.ts";

// Two workers besides this thread, whatever the machine has (set before the
// first large product of this process starts the pool).
TS_THREADS.max = 3;

async function poolReady(): Promise<void> {
  const big = new Float32Array(64 * 128);
  gemmTs(false, false, 64, 128, 128, big, 0, 128, big, 0, 128, new Float32Array(64 * 128), 0, 128);
  for (let i = 0; i < 200 && tsGemmWorkersReady() < 2; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(tsGemmWorkersReady(), 2, "both GEMM workers started");
}

Deno.test("threaded TypeScript GEMMs give the bits of one thread, for every transpose, with accumulate", async () => {
  await poolReady();
  const g = new Generator(19);
  const prev = TS_THREADS.minWork;
  try {
    for (
      const [m, n, k, tA, tB, acc] of [
        // Two slabs of rows, two column panels, two inner blocks.
        [530, 600, 300, false, false, false],
        [483, 70, 260, true, false, true],
        [37, 1030, 9, false, true, false],
        [13, 64, 700, true, true, true],
        [9, 5, 40, false, false, false],
      ] as [number, number, number, boolean, boolean, boolean][]
    ) {
      const lda = (tA ? m : k) + 2, ldb = (tB ? k : n) + 1, ldc = n + 3;
      const a = g.fillNormal(new Float32Array((tA ? k : m) * lda));
      const b = g.fillNormal(new Float32Array((tB ? n : k) * ldb));
      const start = g.fillNormal(new Float32Array(m * ldc));
      const run = (minWork: number) => {
        TS_THREADS.minWork = minWork;
        const c = start.slice();
        gemmTs(tA, tB, m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc, acc);
        return c;
      };
      const one = run(Infinity), threaded = run(0);
      const what = `${m}x${n}x${k} tA=${tA} tB=${tB} accumulate=${acc}`;
      const bad = threaded.findIndex((v, i) => !Object.is(v, one[i]));
      assert.equal(
        bad,
        -1,
        `${what}: element ${bad} is ${threaded[bad]}, one thread gave ${one[bad]}`,
      );
      assert.ok(one.some((v, i) => v !== start[i]), `${what}: C changed`);
      // The padding between rows of C is left alone.
      for (let i = 0; i < m - 1; i++) {
        for (let j = n; j < ldc; j++) assert.equal(threaded[i * ldc + j], start[i * ldc + j]);
      }
    }
  } finally {
    TS_THREADS.minWork = prev;
  }
});

Deno.test("a process that multiplied on TypeScript GEMM worker threads exits by itself", async () => {
  const code = 'import { matmul, ones, setBlasEnabled, setWasmEnabled } from "@dendrite/tensor"; ' +
    "setBlasEnabled(false); setWasmEnabled(false); " +
    "for (let i = 0; i < 3; i++) { console.log(matmul(ones([300, 200]), ones([200, 100])).dataSync()[0]); " +
    "await new Promise((r) => setTimeout(r, 50)); }";
  const root = new URL("../../..", import.meta.url).pathname;
  const file = await Deno.makeTempFile({ dir: root, prefix: ".ts_threads_probe_", suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, code);
    for (const threads of ["2", "1"]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", file],
        env: { DENDRITE_THREADS: threads },
        cwd: root,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.equal(new TextDecoder().decode(out.stdout), "200\n200\n200\n");
    }
  } finally {
    await Deno.remove(file);
  }
});

/** Runs `fn` with only the TypeScript kernels (no BLAS, WebAssembly or oneDNN). */
function plainTs<R>(fn: () => R): R {
  setBlasEnabled(false);
  setWasmEnabled(false);
  setDnnlEnabled(false);
  try {
    return fn();
  } finally {
    setBlasEnabled(true);
    setWasmEnabled(true);
    setDnnlEnabled(true);
  }
}

Deno.test("gemmBatch shares whole products between threads with the bits of one thread, and runs them one by one elsewhere", async () => {
  await poolReady();
  const g = new Generator(23);
  const shapes: [number, number, number, boolean, boolean, boolean][] = [
    [64, 300, 32, false, false, false],
    [40, 33, 200, false, true, true],
    [7, 90, 64, true, false, false],
    [64, 64, 600, true, true, true],
    [3, 3, 3, false, false, false],
  ];
  const size = (r: number, c: number, ld: number) => (r - 1) * ld + c;
  const dims = shapes.map(([m, n, k, tA, tB]) => ({
    a: size(tA ? k : m, tA ? m : k, (tA ? m : k) + 1),
    b: size(tB ? n : k, tB ? k : n, (tB ? k : n) + 2),
    c: size(m, n, n + 3),
  }));
  const fills = dims.map((d) => [d.a, d.b, d.c].map((n) => g.fillNormal(new Float32Array(n))));
  const jobsOn = (arrays: Float32Array[][]): GemmJob[] =>
    shapes.map(([m, n, k, transA, transB, accumulate], i) => ({
      transA,
      transB,
      m,
      n,
      k,
      a: arrays[i][0],
      aOff: 0,
      lda: (transA ? m : k) + 1,
      b: arrays[i][1],
      bOff: 0,
      ldb: (transB ? k : n) + 2,
      c: arrays[i][2],
      cOff: 0,
      ldc: n + 3,
      accumulate,
    }));
  // One by one through gemm, in ordinary arrays.
  const want = plainTs(() => {
    const own = fills.map((f) => f.map((x) => x.slice()));
    for (const j of jobsOn(own)) {
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
    return own.map((f) => f[2]);
  });
  // Shared out, in the workers' memory.
  const got = plainTs(() => {
    const flat = fills.flat();
    const views = batchOperands(flat.map((x) => x.length), 64, 64, 64, 1 << 24);
    assert.ok(views, "the batch gets shared memory");
    views.forEach((v, i) => v.set(flat[i]));
    const arrays = fills.map((_, i) => views.slice(3 * i, 3 * i + 3));
    gemmBatch(jobsOn(arrays));
    return arrays.map((f) => f[2].slice());
  });
  got.forEach((c, i) => {
    const bad = c.findIndex((v, e) => !Object.is(v, want[i][e]));
    assert.equal(
      bad,
      -1,
      `product ${i}: element ${bad} is ${c[bad]}, one by one gave ${want[i][bad]}`,
    );
  });
  // With WebAssembly on, the TypeScript GEMM does not run such products:
  // no shared memory is offered.
  setBlasEnabled(false);
  try {
    assert.equal(batchOperands([10], 64, 64, 64, 1 << 24), undefined);
  } finally {
    setBlasEnabled(true);
  }
});

Deno.test("Winograd convolutions in plain TypeScript give the same bits with their products shared out", async () => {
  await poolReady();
  const g = new Generator(29);
  const x = T.randn([6, 16, 9, 9], { rng: g }), w = T.randn([24, 16, 3, 3], { rng: g });
  const dy = T.randn([6, 24, 9, 9], { rng: g });
  const run = () =>
    plainTs(() => {
      const xg = x.detach().requiresGrad_(), wg = w.detach().requiresGrad_();
      const y = T.conv2d(xg, wg, { padding: 1 });
      return [y, ...gradients(y, [xg, wg], { gradOutputs: [dy] })].map((t) => t.dataSync());
    });
  const prev = TS_THREADS.minWork;
  try {
    TS_THREADS.minWork = 0;
    const shared = run();
    TS_THREADS.minWork = Infinity;
    const alone = run();
    shared.forEach((v, i) => assert.deepEqual(v, alone[i], ["y", "dx", "dw"][i]));
  } finally {
    TS_THREADS.minWork = prev;
  }
});
