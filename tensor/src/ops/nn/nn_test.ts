import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradcheck, gradgradcheck, gradients } from "@dendrite/autograd";
import { assertClose, assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";

const tol = { eps: 1e-2, atol: 3e-3, rtol: 2e-2 };

testOnBackends("conv2d and convTranspose2d pass gradcheck and gradgradcheck", () => {
  const g = new T.Generator(0);
  const x = T.randn([2, 4, 5, 6], { rng: g, requiresGrad: true });
  const w = T.randn([6, 2, 3, 2], { rng: g, requiresGrad: true });
  const b = T.randn([6], { rng: g, requiresGrad: true });
  const conv = (x: T.Tensor, w: T.Tensor, b: T.Tensor) =>
    T.conv2d(x, w, { bias: b, stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 });
  gradcheck(conv, [x, w, b], tol);
  gradgradcheck(conv, [x, w, b], tol);
  const wt = T.randn([4, 3, 3, 2], { rng: g, requiresGrad: true });
  const convT = (x: T.Tensor, w: T.Tensor) =>
    T.convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 });
  gradcheck(convT, [x, wt], tol);
  gradgradcheck(convT, [x, wt], tol);
  // outputPadding ≥ stride (the dilation is larger): an output row that no
  // input reaches.
  const convTDil = (x: T.Tensor, w: T.Tensor) =>
    T.convTranspose2d(x, w, { padding: [1, 0], outputPadding: [1, 0], dilation: [2, 1] });
  gradcheck(convTDil, [x, wt], tol);
  gradgradcheck(convTDil, [x, wt], tol);
});

testOnBackends("pooling, interpolation and unfold pass gradcheck", () => {
  const g = new T.Generator(1);
  const x = T.randn([1, 2, 5, 6], { rng: g, requiresGrad: true });
  gradcheck((x) => T.maxPool2d(x, 2, { stride: 1, padding: 1, ceilMode: true }), [x], {
    eps: 1e-4,
    atol: 1e-2,
  });
  const avg = (x: T.Tensor) =>
    T.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
  gradcheck(avg, [x], tol);
  gradgradcheck(avg, [x], tol);
  gradcheck((x) => T.adaptiveAvgPool2d(x, [3, 4]), [x], tol);
  gradcheck((x) => T.adaptiveMaxPool2d(x, [2, 4]).values, [x], { eps: 1e-4, atol: 1e-2 });
  const bil = (x: T.Tensor) => T.interpolate(x, { scaleFactor: 1.7, mode: "bilinear" });
  gradcheck(bil, [x], tol);
  gradgradcheck(bil, [x], tol);
  gradcheck(
    (x) => T.interpolate(x, { size: [7, 4], mode: "bicubic", alignCorners: true }),
    [x],
    tol,
  );
  gradcheck((x) => T.unfold(x, [2, 3], { stride: [1, 2], padding: 1 }), [x], tol);
  gradcheck((x) => T.pixelUnshuffle(T.pad(x, [0, 0, 0, 1]), 2), [x], tol);
  const w = T.randn([5, 3], { rng: g, requiresGrad: true });
  gradcheck((w) => T.embedding(T.tensor(new Int32Array([1, 4, 1])), w), [w], tol);
});

testOnBackends("nn primitives name the op and the shapes on bad input", () => {
  assertThrowsMessage(
    () => T.conv2d(T.zeros([1, 4, 8, 8]), T.zeros([2, 3, 3, 3])),
    T.ShapeError,
    "Cannot apply conv2d() to input [1, 4, 8, 8] with weight [2, 3, 3, 3]: input has 4 channels, weight expects 3 (groups 1)",
  );
  assertThrowsMessage(
    () => T.conv2d(T.zeros([4, 8, 8]), T.zeros([2, 4, 3, 3])),
    T.ShapeError,
    "Cannot apply conv2d() to input [4, 8, 8]: expected [N, C, H, W]",
  );
  assertThrowsMessage(
    () => T.conv2d(T.zeros([1, 4, 2, 2]), T.zeros([2, 4, 3, 3])),
    T.ShapeError,
    "Cannot apply conv2d() to input [1, 4, 2, 2] with kernel [3, 3] (dilation [1, 1], padding [0, 0]): the kernel is larger than the padded input",
  );
  assertThrowsMessage(
    () => T.conv2d(T.zeros([1, 4, 8, 8]), T.zeros([3, 2, 3, 3]), { groups: 2 }),
    RangeError,
    "Cannot apply conv2d() with groups 2: input channels 4 and output channels 3 must both be divisible by it",
  );
  assertThrowsMessage(
    () => T.maxPool2d(T.zeros([1, 1, 4, 4]), 2, { padding: 2 }),
    RangeError,
    "Cannot apply maxPool2d() with padding [2, 2]: expected at most half the kernel [2, 2]",
  );
  assertThrowsMessage(
    () => T.interpolate(T.zeros([1, 1, 4]), { size: 8, mode: "bilinear" }),
    T.ShapeError,
    'Cannot apply interpolate() with mode "bilinear" to input [1, 1, 4]: "bilinear" needs [N, C, H, W]',
  );
  assertThrowsMessage(
    () => T.pixelShuffle(T.zeros([1, 3, 2, 2]), 2),
    T.ShapeError,
    "Cannot apply pixelShuffle() to input [1, 3, 2, 2] with factor 2: expected [N, C·4, H, W]",
  );
});

testOnBackends(
  "batchNorm's fused kernel agrees with the op-by-op form, values and gradients",
  () => {
    const g = new T.Generator(5);
    const x = T.randn([4, 3, 5], { rng: g, requiresGrad: true });
    const w = T.randn([3], { rng: g, requiresGrad: true }),
      b = T.randn([3], { rng: g, requiresGrad: true });
    for (const training of [true, false]) {
      const rm1 = T.randn([3], { rng: g }), rv1 = T.rand([3], { rng: g }).add(0.5);
      const rm2 = rm1.add(0), rv2 = rv1.add(0);
      const fused = T.batchNorm(x, rm1, rv1, w, b, { training, momentum: 0.2 });
      const comp = T.batchNormComposite(x, rm2, rv2, w, b, { training, momentum: 0.2 });
      const r = T.randn(fused.shape, { rng: g });
      const gf = gradients(fused.mul(r).sum(), [x, w, b]);
      const gc = gradients(comp.mul(r).sum(), [x, w, b]);
      for (let i = 0; i < 3; i++) assertClose(gf[i], gc[i], { atol: 1e-4, rtol: 1e-3 });
      assertClose(fused, comp, { atol: 1e-5 });
      assertClose(rm1, rm2, { atol: 1e-6 });
      assertClose(rv1, rv2, { atol: 1e-6 });
      gradcheck((x, w, b) => T.batchNorm(x, null, null, w, b, { training: true }), [x, w, b], tol);
    }
  },
);

Deno.test("conv2d with a fused activation equals the activation of conv2d, with gradients", () => {
  const g = new T.Generator(31);
  const x = T.randn([2, 3, 6, 5], { rng: g }).requiresGrad_();
  const w = T.randn([4, 3, 3, 3], { rng: g }).mul(0.3).requiresGrad_();
  const b = T.randn([4], { rng: g }).requiresGrad_();
  const acts = ["relu", "sigmoid", "tanh"] as const;
  for (const activation of acts) {
    for (const bias of [b, undefined]) {
      const o = { padding: 1, bias, activation };
      const plain = T.conv2d(x, w, { padding: 1, bias });
      const ref = activation === "relu"
        ? plain.relu()
        : activation === "sigmoid"
        ? plain.sigmoid()
        : plain.tanh();
      assertClose(T.conv2d(x, w, o).dataSync(), ref.dataSync(), { atol: 1e-6, rtol: 1e-6 });
    }
    // The shifted-GEMM path (16+ channels per group) applies it too.
    const x16 = T.randn([1, 16, 5, 5], { rng: g }), w16 = T.randn([2, 16, 3, 3], { rng: g });
    assertClose(
      T.conv2d(x16, w16, { activation }).dataSync(),
      (activation === "relu"
        ? T.conv2d(x16, w16).relu()
        : activation === "sigmoid"
        ? T.conv2d(x16, w16).sigmoid()
        : T.conv2d(x16, w16).tanh()).dataSync(),
      { atol: 1e-5, rtol: 1e-5 },
    );
    gradcheck(
      (xx, ww, bb) => T.conv2d(xx, ww, { stride: 2, bias: bb, activation }),
      [x, w, b],
      tol,
    );
  }
  assertThrowsMessage(
    // deno-lint-ignore no-explicit-any
    () => T.conv2d(x, w, { activation: "elu" as any }),
    RangeError,
    'Cannot apply conv2d() with activation "elu": expected "relu", "sigmoid" or "tanh"',
  );
});

testOnBackends(
  "maxPool2d 2x2 picks the first of equal maxima and the last NaN, as PyTorch's scan",
  () => {
    // Every window of four values drawn from {0, 1, NaN}: 81 windows side by side.
    const vals = [0, 1, NaN];
    const windows: number[][] = [];
    for (let q = 0; q < 81; q++) {
      windows.push([0, 1, 2, 3].map((k) => vals[Math.floor(q / 3 ** k) % 3]));
    }
    // Layout [1, 1, 2, 2·81]: window q covers columns 2q and 2q+1 of both rows.
    const rows = [0, 1].map((r) => windows.flatMap((wv) => [wv[2 * r], wv[2 * r + 1]]));
    const x = T.tensor([[rows]]);
    const { values, indices } = T.maxPool2dWithIndices(x, 2);
    const want = windows.map((wv, q) => {
      // PyTorch: `if (val > maxval || isnan(val))` over the window in order.
      let best = 0;
      for (let k = 1; k < 4; k++) if (wv[k] > wv[best] || Number.isNaN(wv[k])) best = k;
      const col = 2 * q + (best % 2), row = best >> 1;
      return { v: wv[best], i: row * 2 * 81 + col };
    });
    assert.deepEqual([...indices.dataSync()], want.map((w) => w.i));
    const got = [...values.dataSync()];
    want.forEach((w, q) => assert.ok(Object.is(got[q], w.v), `window ${q}: ${got[q]} vs ${w.v}`));
  },
);

testOnBackends(
  "maxUnpool2d, softshrink, hardshrink, tanhshrink, threshold and glu pass gradgradcheck",
  () => {
    const g = new T.Generator(4);
    // Windows that do not overlap (with overlapping ones a position picked
    // twice takes the value once but passes the gradient to both, as in
    // PyTorch, which a numeric check of independent inputs cannot see).
    const x = T.randn([1, 2, 6, 6], { rng: g, requiresGrad: true });
    const { values, indices } = T.maxPool2dWithIndices(x, 3);
    const v = values.detach().requiresGrad_();
    const unpool = (v: T.Tensor) => T.maxUnpool2d(v, indices, 3);
    gradcheck(unpool, [v], tol);
    gradgradcheck(unpool, [v], tol);
    // Away from the kinks at ±0.3 and 0.1 (the numeric gradient steps 1e-2).
    const y = T.tensor(
      [[-1.2, -0.6, -0.05, 0.2], [0.45, 0.9, 1.7, -2.1], [0.7, -0.8, 1.1, -0.15]],
      {
        requiresGrad: true,
      },
    );
    for (
      const f of [
        (t: T.Tensor) => T.softshrink(t, { lambd: 0.3 }),
        (t: T.Tensor) => T.hardshrink(t, { lambd: 0.3 }),
        T.tanhshrink,
        (t: T.Tensor) => T.threshold(t, 0.1, -2),
        (t: T.Tensor) => T.glu(t, 1),
      ]
    ) {
      gradcheck(f, [y], tol);
      gradgradcheck(f, [y], tol);
    }
    assertThrowsMessage(
      () => T.glu(T.ones([2, 3])),
      T.ShapeError,
      "Cannot apply glu() along axis -1 of [2, 3]: its size 3 must be even",
    );
    assertThrowsMessage(
      () => T.softshrink(y, { lambd: -1 }),
      RangeError,
      "Cannot apply softshrink() with lambd -1: expected a non-negative value",
    );
    assertThrowsMessage(
      () => T.maxUnpool2d(values, T.zeros([1, 2, 2, 2]), 3),
      T.ShapeError,
      "Cannot apply maxUnpool2d() to input [1, 2, 2, 2] with float32 indices [1, 2, 2, 2]: expected int32 indices of the input's shape",
    );
  },
);

testOnBackends("affineGrid and gridSample pass gradcheck for the input, the grid and theta", () => {
  const g = new T.Generator(8);
  const x = T.randn([1, 2, 3, 4], { rng: g, requiresGrad: true });
  // Points away from pixel centres and from the padding edges (where the
  // bilinear weights have kinks a numeric step would straddle).
  const grid = T.tensor([[[[0.13, -0.41], [0.62, 0.27]], [[-0.77, 0.09], [0.35, 0.58]]]], {
    requiresGrad: true,
  });
  for (const paddingMode of ["zeros", "border", "reflection"] as const) {
    gradcheck((a, b) => T.gridSample(a, b, { paddingMode }), [x, grid], tol);
  }
  const theta = T.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.1]]], { requiresGrad: true });
  gradcheck((t) => T.gridSample(x.detach(), T.affineGrid(t, [1, 2, 2, 3])), [theta], tol);
  assertThrowsMessage(
    () => T.gridSample(x, T.zeros([1, 2, 2, 3])),
    T.ShapeError,
    "Cannot apply gridSample() to input [1, 2, 3, 4] with grid [1, 2, 2, 3]: expected [N, C, H, W] and [N, Ho, Wo, 2]",
  );
  assertThrowsMessage(
    // deno-lint-ignore no-explicit-any
    () => T.gridSample(x, grid, { mode: "bicubic" as any }),
    RangeError,
    'Cannot apply gridSample() with mode "bicubic": expected "bilinear" or "nearest"',
  );
});
