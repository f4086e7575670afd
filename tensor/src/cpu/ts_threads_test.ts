// The TypeScript GEMM's worker threads (used when the WebAssembly GEMM is off
// or missing): the split of a slab's rows gives the same bits as one thread,
// and a process that used them exits by itself.
import assert from "node:assert/strict";
import { Generator } from "@dendrite/tensor";
import { gemmTs, TS_THREADS, tsGemmWorkersReady } from "./gemm.ts";

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
