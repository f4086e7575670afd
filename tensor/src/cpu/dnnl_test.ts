import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import { assertClose } from "@dendrite/tensor/testing";
import {
  clearDnnlCache,
  DNNL_CACHE,
  DNNL_DECLINE,
  dnnlCacheSize,
  dnnlConvForward,
  dnnlImplementation,
  dnnlInfo,
  setDnnlEnabled,
} from "./dnnl.ts";
import { _setConvAlgorithm, type ConvAlgorithm } from "../ops/nn/conv.ts";

/** A convolution case: input and weight shapes and options. */
interface Case {
  x: number[];
  w: number[];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
  bias?: boolean;
}

/** Output, dx, dw (and db) of a case under one algorithm, from the same operands. */
function run(c: Case, algo: ConvAlgorithm, seed: number): Float32Array[] {
  const g = new T.Generator(seed);
  const x = T.randn(c.x, { rng: g, requiresGrad: true });
  const w = T.randn(c.w, { rng: g, requiresGrad: true });
  const b = c.bias ? T.randn([c.w[0]], { rng: g, requiresGrad: true }) : undefined;
  const opts = {
    stride: c.stride,
    padding: c.padding,
    dilation: c.dilation,
    groups: c.groups,
    bias: b,
  };
  const prev = _setConvAlgorithm(algo);
  try {
    const y = T.conv2d(x, w, opts);
    const up = T.randn(y.shape, { rng: g });
    const wrt = b ? [x, w, b] : [x, w];
    return [y, ...gradients(y, wrt, { gradOutputs: [up] })].map((t) =>
      t.dataSync() as Float32Array
    );
  } finally {
    _setConvAlgorithm(prev);
  }
}

Deno.test("oneDNN loads here (CI installs libdnnl2), version 2.x", () => {
  const info = dnnlInfo();
  assert.ok(info.enabled, `oneDNN should load in tests (apt-get install libdnnl2): ${info.reason}`);
  assert.match(info.version!, /^2\.\d+\.\d+$/);
  assert.match(info.library!, /libdnnl/);
});

Deno.test("conv2d through oneDNN matches im2col on random geometries (output, dx, dw, bias)", () => {
  const g = new T.Generator(17);
  const int = (lo: number, hi: number) => lo + Math.floor(g.nextFloat() * (hi - lo + 1));
  const keep = DNNL_CACHE.entries;
  DNNL_CACHE.entries = 1000;
  clearDnnlCache();
  let cases = 0;
  try {
    for (let t = 0; t < 60; t++) {
      const groups = [1, 1, 2, 3][int(0, 3)];
      const cg = int(1, 4), fg = int(1, 4);
      const kh = int(1, 4), kw = int(1, 4), sh = int(1, 3), sw = int(1, 3);
      const dh = int(1, 2), dw = int(1, 2);
      const ph = int(0, Math.max(0, dh * (kh - 1))), pw = int(0, Math.max(0, dw * (kw - 1)));
      const h = int(1, 12), w = int(1, 12);
      if (h + 2 * ph < dh * (kh - 1) + 1 || w + 2 * pw < dw * (kw - 1) + 1) continue;
      const c: Case = {
        x: [int(1, 3), groups * cg, h, w],
        w: [groups * fg, cg, kh, kw],
        stride: [sh, sw],
        padding: [ph, pw],
        dilation: [dh, dw],
        groups,
        bias: g.nextFloat() < 0.5,
      };
      const before = dnnlCacheSize();
      const got = run(c, "dnnl", t), want = run(c, "im2col", t);
      // A new geometry builds its primitives (the cache is large enough here).
      assert.ok(dnnlCacheSize() > before, `oneDNN should run ${JSON.stringify(c)}`);
      got.forEach((v, i) => {
        try {
          assertClose(v, want[i], { atol: 1e-4, rtol: 1e-4 });
        } catch (e) {
          throw new Error(`${["y", "dx", "dw", "db"][i]} of ${JSON.stringify(c)}: ${e}`);
        }
      });
      cases++;
    }
  } finally {
    DNNL_CACHE.entries = keep;
    clearDnnlCache();
  }
  assert.ok(cases >= 40, `${cases} cases`);
});

Deno.test("conv1d, convTranspose2d (with outputPadding) and depthwise layers through oneDNN match im2col", () => {
  const g = new T.Generator(5);
  const x1 = T.randn([2, 4, 11], { rng: g }), w1 = T.randn([6, 2, 3], { rng: g });
  const xt = T.randn([2, 4, 5, 6], { rng: g }), wt = T.randn([4, 3, 3, 2], { rng: g });
  const xd = T.randn([2, 8, 9, 9], { rng: g }), wd = T.randn([8, 1, 3, 3], { rng: g });
  const each = (algo: ConvAlgorithm) => {
    const prev = _setConvAlgorithm(algo);
    try {
      return [
        T.conv1d(x1, w1, { stride: 2, padding: 1, groups: 2 }),
        T.convTranspose2d(xt, wt, { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2] }),
        T.conv2d(xd, wd, { padding: 1, groups: 8, stride: 2 }),
      ].map((t) => t.dataSync());
    } finally {
      _setConvAlgorithm(prev);
    }
  };
  clearDnnlCache();
  const got = each("dnnl");
  assert.equal(dnnlCacheSize(), 3, "three primitives built");
  const want = each("im2col");
  got.forEach((v, i) => assertClose(v, want[i], { atol: 1e-5, rtol: 1e-5 }));
});

Deno.test("conv2d through oneDNN matches a PyTorch value (a 2x2 sum kernel)", () => {
  // torch.nn.functional.conv2d(torch.arange(16.).view(1, 1, 4, 4),
  //   torch.ones(1, 1, 2, 2), stride=2) = [[10, 18], [42, 50]]
  const y = T.conv2d(
    T.arange(0, 16, { dtype: "float32" }).reshape([1, 1, 4, 4]),
    T.ones([1, 1, 2, 2]),
    { stride: 2 },
  );
  assert.deepEqual([...y.dataSync()], [10, 18, 42, 50]);
});

Deno.test("input gradients into one channel per group from many stay on Dendrite's kernels", () => {
  // oneDNN is slower there (1 → 32 channels at 28×28: 2.3 ms against 1.4);
  // depthwise layers and two or more input channels go to it.
  const g = new T.Generator(8);
  const dy = T.randn([2, 8, 5, 5], { rng: g });
  const cases: [number[], number, number][] = [
    [[8, 1, 3, 3], 1, 0], // 8 → 1 summed per input channel: own kernels
    [[8, 2, 3, 3], 1, 1],
    [[8, 1, 3, 3], 8, 1], // depthwise
  ];
  for (const [ws, groups, built] of cases) {
    clearDnnlCache();
    const w = T.randn(ws, { rng: g });
    const got = T.convTranspose2d(dy, w, { padding: 1, groups }).dataSync();
    assert.equal(dnnlCacheSize(), built, `${ws} groups ${groups}`);
    const prev = _setConvAlgorithm("im2col");
    try {
      assertClose(got, T.convTranspose2d(dy, w, { padding: 1, groups }).dataSync(), {
        atol: 1e-5,
      });
    } finally {
      _setConvAlgorithm(prev);
    }
  }
  clearDnnlCache();
});

Deno.test("the primitive cache keeps DNNL_CACHE.entries geometries, least recently used out", () => {
  const keep = DNNL_CACHE.entries;
  DNNL_CACHE.entries = 2;
  clearDnnlCache();
  try {
    const w = T.ones([2, 1, 3, 3]);
    for (const n of [1, 2, 3, 1]) T.conv2d(T.ones([n, 1, 5, 5]), w).dataSync();
    assert.equal(dnnlCacheSize(), 2);
    // The evicted geometry rebuilds and still computes right.
    const y = T.conv2d(T.ones([2, 1, 5, 5]), w, { padding: 1 });
    assert.deepEqual([...y.dataSync()].slice(0, 3), [4, 6, 6]);
    assert.equal(dnnlCacheSize(), 2);
  } finally {
    DNNL_CACHE.entries = keep;
    clearDnnlCache();
  }
});

Deno.test("setDnnlEnabled(false) runs Dendrite's own kernels, with the same numbers", () => {
  const c: Case = { x: [2, 16, 7, 7], w: [8, 16, 3, 3], padding: [1, 1], bias: true };
  const on = run(c, "auto", 3);
  clearDnnlCache();
  setDnnlEnabled(false);
  try {
    assert.equal(dnnlInfo().enabled, false);
    assert.equal(dnnlInfo().reason, "disabled by setDnnlEnabled(false)");
    const off = run(c, "auto", 3);
    assert.equal(dnnlCacheSize(), 0, "nothing went to oneDNN");
    on.forEach((v, i) => assertClose(v, off[i], { atol: 1e-4, rtol: 1e-4 }));
  } finally {
    setDnnlEnabled(true);
  }
});

Deno.test("a geometry oneDNN only offers a declined implementation for runs on Dendrite's kernels", () => {
  // Here every geometry gets a tuned kernel; declining "jit" ones stands in
  // for a CPU where oneDNN would offer only its reference loops.
  const keep = DNNL_DECLINE.implementations;
  DNNL_DECLINE.implementations = /jit/;
  clearDnnlCache();
  try {
    const c: Case = { x: [2, 8, 6, 6], w: [4, 8, 3, 3], padding: [1, 1], bias: true };
    const got = run(c, "dnnl", 4);
    assert.equal(dnnlCacheSize(), 0, "no primitive kept");
    const want = run(c, "im2col", 4);
    got.forEach((v, i) => assertClose(v, want[i], { atol: 1e-4, rtol: 1e-4 }));
  } finally {
    DNNL_DECLINE.implementations = keep;
    clearDnnlCache();
  }
});

Deno.test("oneDNN refuses operands shorter than the geometry instead of reading past them", () => {
  const g = { n: 2, c: 3, h: 5, w: 5, f: 4, groups: 1, kh: 3, kw: 3, oh: 3, ow: 3 };
  const geo = { ...g, sh: 1, sw: 1, ph: 0, pw: 0, dh: 1, dw: 1 };
  assert.throws(
    () =>
      dnnlConvForward(
        geo,
        new Float32Array(2 * 3 * 5 * 5 - 1),
        new Float32Array(4 * 3 * 9),
        undefined,
        new Float32Array(2 * 4 * 9),
      ),
    /oneDNN convolution: operand 0 has 149 elements, expected at least 150/,
  );
});

Deno.test("oneDNN names its implementation, and empty batches stay in TypeScript", () => {
  const geo = {
    n: 4,
    c: 32,
    h: 8,
    w: 8,
    f: 32,
    groups: 1,
    kh: 3,
    kw: 3,
    oh: 8,
    ow: 8,
    sh: 1,
    sw: 1,
    ph: 1,
    pw: 1,
    dh: 1,
    dw: 1,
  };
  for (const kind of ["forward", "data", "weights"] as const) {
    assert.match(dnnlImplementation(geo, kind)!, /\w+:\w+/);
  }
  const y = T.conv2d(T.ones([0, 3, 5, 5]), T.ones([2, 3, 3, 3]));
  assert.deepEqual(y.shape, [0, 2, 3, 3]);
});

Deno.test("DENDRITE_DNNL=off, a missing library and a missing FFI permission fall back", async () => {
  const code = 'import { conv2d, dnnlInfo, ones } from "@dendrite/tensor"; ' +
    "const y = conv2d(ones([1, 2, 4, 4]), ones([3, 2, 3, 3]), { padding: 1 }); " +
    "console.log(JSON.stringify(dnnlInfo()), y.dataSync()[5]);";
  const root = new URL("../../..", import.meta.url).pathname;
  const file = await Deno.makeTempFile({ dir: root, prefix: ".dnnl_probe_", suffix: ".ts" });
  await Deno.writeTextFile(file, code);
  const probe = async (perms: string[], env: Record<string, string>) => {
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
    // Output element (0, 0, 1, 1): a full 3x3 window of ones over 2 channels.
    assert.match(
      await probe(["-A"], { DENDRITE_DNNL: "off" }),
      /^\{"enabled":false,"library":null,"reason":"disabled by DENDRITE_DNNL"\} 18$/,
    );
    assert.match(
      await probe(["-A"], { DENDRITE_DNNL: "/nonexistent/libdnnl.so.2" }),
      /"enabled":false.*could not load DENDRITE_DNNL=\/nonexistent\/libdnnl.so.2.* 18$/,
    );
    assert.match(
      await probe(["--allow-read", "--allow-env"], {}),
      /"enabled":false.*FFI permission not granted.* 18$/,
    );
    assert.match(
      await probe(["-A"], {}),
      /^\{"enabled":true,"library":"[^"]*libdnnl[^"]*","version":"2\.\d+\.\d+"\} 18$/,
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("training steps through oneDNN release what they allocate", () => {
  const g = new T.Generator(2);
  const x = T.randn([4, 3, 8, 8], { rng: g });
  const w = T.randn([5, 3, 3, 3], { rng: g, requiresGrad: true });
  const step = () =>
    T.tidy(() => {
      const [dw] = gradients(T.conv2d(x, w, { padding: 1 }).relu().sum(), [w]);
      return dw.sum().dataSync()[0];
    });
  step();
  const live = T.memory();
  for (let i = 0; i < 5; i++) step();
  assert.equal(T.memory().tensors, live.tensors);
  assert.equal(T.memory().buffers, live.buffers);
});
