// The WebAssembly GEMM's worker threads: the split of a slab's rows gives
// the same bits as one thread, and a process that used them exits by itself.
import assert from "node:assert/strict";
import { Generator } from "@dendrite/tensor";
import { WASM_THREADS, wasmGemmWorkersReady, wasmSgemm } from "./wasm_gemm.ts";

// Two workers besides this thread, whatever the machine has (set before the
// first product of this process starts the pool).
WASM_THREADS.max = 3;

async function poolReady(): Promise<void> {
  const probe = new Float32Array(64);
  wasmSgemm(false, false, 8, 8, 8, probe, 0, 8, probe, 0, 8, new Float32Array(64), 0, 8);
  for (let i = 0; i < 200 && wasmGemmWorkersReady() < 2; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(wasmGemmWorkersReady(), 2, "both GEMM workers started");
}

Deno.test("threaded WebAssembly GEMMs give the bits of one thread, for every transpose, with accumulate", async () => {
  await poolReady();
  const g = new Generator(9);
  const prev = WASM_THREADS.minWork;
  try {
    for (
      const [m, n, k, tA, tB, acc] of [
        [600, 530, 520, false, false, false],
        [481, 70, 300, true, false, true],
        [37, 1030, 9, false, true, false],
        [13, 64, 700, true, true, true],
      ] as [number, number, number, boolean, boolean, boolean][]
    ) {
      const lda = (tA ? m : k) + 2, ldb = (tB ? k : n) + 1, ldc = n + 3;
      const a = g.fillNormal(new Float32Array((tA ? k : m) * lda));
      const b = g.fillNormal(new Float32Array((tB ? n : k) * ldb));
      const start = g.fillNormal(new Float32Array(m * ldc));
      const run = (minWork: number) => {
        WASM_THREADS.minWork = minWork;
        const c = start.slice();
        assert.ok(wasmSgemm(tA, tB, m, n, k, a, 0, lda, b, 0, ldb, c, 0, ldc, acc));
        return c;
      };
      const one = run(Infinity), threaded = run(0);
      // Element by element: a diff of arrays this long would take minutes to print.
      const what = `${m}x${n}x${k} tA=${tA} tB=${tB} accumulate=${acc}`;
      const bad = threaded.findIndex((v, i) => !Object.is(v, one[i]));
      assert.equal(
        bad,
        -1,
        `${what}: element ${bad} is ${threaded[bad]}, one thread gave ${one[bad]}`,
      );
      assert.ok(one.some((v, i) => v !== start[i]), `${what}: C changed`);
    }
  } finally {
    WASM_THREADS.minWork = prev;
  }
});

Deno.test("a process that multiplied on GEMM worker threads exits by itself", async () => {
  const code =
    'import { matmul, ones, setBlasEnabled } from "@dendrite/tensor"; setBlasEnabled(false); ' +
    "for (let i = 0; i < 3; i++) { console.log(matmul(ones([600, 300]), ones([300, 500])).dataSync()[0]); " +
    "await new Promise((r) => setTimeout(r, 50)); }";
  const root = new URL("../../..", import.meta.url).pathname;
  const file = await Deno.makeTempFile({ dir: root, prefix: ".threads_probe_", suffix: ".ts" });
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
      assert.equal(new TextDecoder().decode(out.stdout), "300\n300\n300\n");
    }
  } finally {
    await Deno.remove(file);
  }
});
