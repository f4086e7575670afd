import assert from "node:assert/strict";
import { blasInfo, Generator, matmul, randn, setBlasEnabled } from "@dendrite/tensor";
import { assertClose } from "@dendrite/tensor/testing";
import { gemm, gemmTs } from "./gemm.ts";
import { wasmSgemm } from "./wasm_gemm.ts";
import { setWasmEnabled, wasmInfo } from "./wasm_emit.ts";

/** op(A)·op(B) in float64 from row-major operands with offsets and leading dimensions. */
function reference(
  tA: boolean,
  tB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  ao: number,
  lda: number,
  b: Float32Array,
  bo: number,
  ldb: number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += (tA ? a[ao + p * lda + i] : a[ao + i * lda + p]) *
          (tB ? b[bo + j * ldb + p] : b[bo + p * ldb + j]);
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

function check(fn: typeof gemm, label: string): void {
  const g = new Generator(17);
  const sizes = [1, 2, 3, 4, 5, 7, 13, 31, 64, 67];
  let cases = 0;
  for (const m of sizes) {
    for (const n of [1, 4, 9, 33, 70]) {
      for (const k of [1, 3, 17, 66, 300]) {
        if ((m * 7 + n * 3 + k) % 3 !== 0) continue; // a spread-out third of the grid keeps this fast
        for (const tA of [false, true]) {
          for (const tB of [false, true]) {
            const lda = (tA ? m : k) + 3, ldb = (tB ? k : n) + 2, ldc = n + 5;
            const ao = 5, bo = 7, co = 3;
            const rows = (t: boolean, r: number, cl: number) => (t ? cl : r);
            const a = g.fillNormal(new Float32Array(ao + rows(tA, m, k) * lda));
            const b = g.fillNormal(new Float32Array(bo + rows(tB, k, n) * ldb));
            const c = new Float32Array(co + m * ldc).fill(123);
            fn(tA, tB, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc);
            const want = reference(tA, tB, m, n, k, a, ao, lda, b, bo, ldb);
            const got = new Float32Array(m * n);
            for (let i = 0; i < m; i++) got.set(c.subarray(co + i * ldc, co + i * ldc + n), i * n);
            assertClose(got, Array.from(want), { atol: 1e-3, rtol: 1e-4 });
            // Padding between rows is untouched.
            for (let i = 0; i < m; i++) {
              assert.equal(c[co + i * ldc + n], 123, `${label}: wrote past the row`);
            }
            // accumulate adds the product to what C holds.
            const c2 = new Float32Array(co + m * ldc).fill(0.5);
            fn(tA, tB, m, n, k, a, ao, lda, b, bo, ldb, c2, co, ldc, true);
            for (let i = 0; i < m; i++) got.set(c2.subarray(co + i * ldc, co + i * ldc + n), i * n);
            assertClose(got, Array.from(want, (v) => v + 0.5), { atol: 1e-3, rtol: 1e-4 });
            cases++;
          }
        }
      }
    }
  }
  assert.ok(cases > 200, `${label}: ${cases} cases`);
}

Deno.test("gemmTs matches a float64 reference for all transposes, offsets and leading dimensions", () => {
  check(gemmTs, "TypeScript");
});

Deno.test("the WebAssembly SIMD GEMM matches the same reference", () => {
  assert.ok(wasmInfo().enabled, `Deno has WebAssembly SIMD: ${wasmInfo().reason}`);
  check((...args: Parameters<typeof gemm>) => {
    assert.ok(wasmSgemm(...args), "wasmSgemm declined");
  }, "WebAssembly");
});

Deno.test("the WebAssembly GEMM is right across its cache blocks, slabs and panels", () => {
  // 600 rows cross the 512-row slab and the 64-row blocks, 530 columns the
  // 512-column panel, an inner size of 520 three 256-deep blocks; every
  // edge is ragged.
  const g = new Generator(5);
  for (const [tA, tB] of [[false, false], [true, true]]) {
    const m = 600, n = 530, k = 520;
    const lda = (tA ? m : k) + 1, ldb = (tB ? k : n) + 3, ldc = n + 2;
    const a = g.fillNormal(new Float32Array(2 + (tA ? k : m) * lda));
    const b = g.fillNormal(new Float32Array(1 + (tB ? n : k) * ldb));
    const c = new Float32Array(4 + m * ldc).fill(7);
    assert.ok(wasmSgemm(tA, tB, m, n, k, a, 2, lda, b, 1, ldb, c, 4, ldc, true));
    const want = reference(tA, tB, m, n, k, a, 2, lda, b, 1, ldb);
    const got = new Float32Array(m * n);
    for (let i = 0; i < m; i++) got.set(c.subarray(4 + i * ldc, 4 + i * ldc + n), i * n);
    assertClose(got, Array.from(want, (v) => v + 7), { atol: 2e-3, rtol: 1e-4 });
    for (let i = 0; i < m; i++) {
      assert.deepEqual([...c.subarray(4 + i * ldc + n, 6 + i * ldc + n)], [7, 7]);
    }
    assert.deepEqual([...c.subarray(0, 4)], [7, 7, 7, 7]);
  }
});

Deno.test("gemm through native BLAS matches the same reference", () => {
  assert.ok(
    blasInfo().enabled,
    `BLAS should load in tests (CI installs libopenblas0-pthread): ${blasInfo().reason}`,
  );
  check(gemm, "BLAS");
});

Deno.test("matmul gives the same numbers with BLAS on and off", () => {
  const g = new Generator(3);
  const a = randn([3, 70, 90], { rng: g }), b = randn([90, 50], { rng: g });
  setBlasEnabled(true);
  const withBlas = matmul(a, b);
  setBlasEnabled(false);
  try {
    assert.equal(blasInfo().enabled, false);
    assertClose(matmul(a, b), withBlas, { atol: 1e-4, rtol: 1e-4 });
    assertClose(matmul(a.transpose(), a), matmul(a.transpose().contiguous(), a), { atol: 1e-4 });
  } finally {
    setBlasEnabled(true);
  }
});

Deno.test("matmul gives the same numbers in WebAssembly and in plain TypeScript", () => {
  const g = new Generator(4);
  const a = randn([2, 150, 90], { rng: g }), b = randn([90, 70], { rng: g });
  const withBlas = matmul(a, b);
  setBlasEnabled(false);
  try {
    assert.ok(wasmInfo().enabled);
    const wasm = matmul(a, b);
    setWasmEnabled(false);
    assert.deepEqual(wasmInfo(), {
      enabled: false,
      relaxed: true,
      reason: "disabled by setWasmEnabled(false)",
    });
    const plain = matmul(a, b);
    assertClose(wasm, withBlas, { atol: 1e-4, rtol: 1e-4 });
    assertClose(plain, withBlas, { atol: 1e-4, rtol: 1e-4 });
  } finally {
    setWasmEnabled(true);
    setBlasEnabled(true);
  }
});

Deno.test("DENDRITE_BLAS=off and a missing FFI permission both fall back to TypeScript", async () => {
  const code = 'import { blasInfo, matmul, ones, wasmInfo } from "@dendrite/tensor"; ' +
    "const y = matmul(ones([64, 64]), ones([64, 64])); console.log(JSON.stringify(blasInfo()), y.dataSync()[0], " +
    "Deno.env.get('DENDRITE_WASM') ? JSON.stringify(wasmInfo()) : '');";
  const root = new URL("../../..", import.meta.url).pathname;
  const file = await Deno.makeTempFile({ dir: root, prefix: ".blas_probe_", suffix: ".ts" });
  await Deno.writeTextFile(file, code);
  const run = async (perms: string[], env: Record<string, string>) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...perms, file],
      env,
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).trim();
  };
  try {
    const off = await run(["-A"], { DENDRITE_BLAS: "off" });
    assert.match(off, /"enabled":false.*"reason":"disabled by DENDRITE_BLAS"\} 64$/);
    const wasmOff = await run(["-A"], { DENDRITE_BLAS: "off", DENDRITE_WASM: "off" });
    assert.match(
      wasmOff,
      /"reason":"disabled by DENDRITE_BLAS"\} 64 \{"enabled":false,"relaxed":true,"reason":"disabled by DENDRITE_WASM"\}$/,
    );
    const bad = await run(["-A"], { DENDRITE_BLAS: "/nonexistent/libblas.so" });
    assert.match(
      bad,
      /"enabled":false.*could not load DENDRITE_BLAS=\/nonexistent\/libblas.so.* 64$/,
    );
    const noFfi = await run(["--allow-read", "--allow-env"], {});
    assert.match(noFfi, /"enabled":false.*FFI permission not granted.* 64$/);
    const on = await run(["-A"], { OPENBLAS_CORETYPE: "Haswell" });
    // A kernel family named by the user is kept.
    assert.match(on, /"enabled":true,"library":"[^"]*openblas[^"]*","core":"Haswell"\} 64$/);
    // Without a choice, OpenBLAS names the family it picked for this CPU.
    const auto = await run(["-A"], { OPENBLAS_CORETYPE: "" });
    assert.match(auto, /"core":"\w+"\} 64$/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("blasSgemm refuses operands that reach past their arrays instead of corrupting memory", async () => {
  const { blasSgemm, blasInfo } = await import("./blas.ts");
  if (!blasInfo().enabled) {
    // Without a native library there is nothing to protect: the call declines.
    assert.equal(
      blasSgemm(
        false,
        false,
        2,
        2,
        2,
        new Float32Array(4),
        0,
        2,
        new Float32Array(4),
        0,
        2,
        new Float32Array(4),
        0,
        2,
      ),
      false,
    );
    return;
  }
  const a = new Float32Array(6), b = new Float32Array(6), c = new Float32Array(4);
  assert.throws(
    () => blasSgemm(false, false, 2, 2, 3, a, 0, 3, b, 1, 2, c, 0, 2),
    /operand B \(3x2, leading dimension 2, offset 1\) reaches element 6 of an array of 6/,
  );
  assert.throws(
    () => blasSgemm(false, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 1, 2),
    /operand C \(2x2, leading dimension 2, offset 1\) reaches element 4 of an array of 4/,
  );
  assert.equal(blasSgemm(false, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2), true);
});
