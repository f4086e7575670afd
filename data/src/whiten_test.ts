import assert from "node:assert/strict";
import { fitPca, fitZca, Rng } from "@dendrite/data";
import { DTypeError, ShapeError, tensor, zeros } from "@dendrite/tensor";
import {
  assertClose,
  assertThrowsMessage,
  type FixtureTensor,
  fromFixture,
  loadFixtures,
} from "@dendrite/tensor/testing";
import { symmetricEigen } from "./eigen.ts";

const fx = await loadFixtures<Record<string, FixtureTensor> & { zca_eps: number }>(
  new URL("../testdata/data.json", import.meta.url),
);

function checkDecomposition(a: Float64Array, n: number, tol: number) {
  const { values, vectors } = symmetricEigen(a, n);
  for (let i = 1; i < n; i++) assert.ok(values[i - 1] <= values[i], "ascending");
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let r = 0, o = 0;
      for (let k = 0; k < n; k++) {
        r += vectors[i * n + k] * values[k] * vectors[j * n + k];
        o += vectors[k * n + i] * vectors[k * n + j];
      }
      assert.ok(Math.abs(r - a[i * n + j]) < tol, `A[${i},${j}] ${r} vs ${a[i * n + j]}`);
      assert.ok(Math.abs(o - (i === j ? 1 : 0)) < tol, `V^T V [${i},${j}] = ${o}`);
    }
  }
  return values;
}

Deno.test("symmetricEigen matches torch.linalg.eigh and reconstructs the matrix", () => {
  const a = Float64Array.from(fromFixture(fx.eigen_input).dataSync());
  const values = checkDecomposition(a, 6, 1e-4);
  assertClose([...values], fromFixture(fx.eigen_values), { atol: 1e-3, rtol: 1e-5 });
});

Deno.test("symmetricEigen handles random, diagonal, repeated and 1x1 matrices", () => {
  const rng = new Rng(0);
  const n = 40;
  const b = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = b[i * n + j] + b[j * n + i];
  }
  checkDecomposition(a, n, 1e-9);
  const diag = new Float64Array([3, 0, 0, 0, -1, 0, 0, 0, 2]);
  assert.deepEqual([...checkDecomposition(diag, 3, 1e-12)], [-1, 2, 3]);
  const eye = new Float64Array([1, 0, 0, 1]);
  assert.deepEqual([...checkDecomposition(eye, 2, 1e-12)], [1, 1]);
  assert.deepEqual([...symmetricEigen([5], 1).values], [5]);
  assert.equal(symmetricEigen([], 0).values.length, 0);
});

Deno.test("fitZca matches the PyTorch ZCA matrix and whitens to identity covariance", () => {
  const x = fromFixture(fx.whiten_input);
  const zca = fitZca(x, { eps: fx.zca_eps });
  assertClose(zca.matrix, fromFixture(fx.zca_matrix), { atol: 1e-4, rtol: 1e-3 });
  const y = zca.apply(x);
  assertClose(y, fromFixture(fx.zca_output), { atol: 1e-3, rtol: 1e-3 });
  // Without eps the whitened covariance is the identity.
  const w = fitZca(x, { eps: 0 }).apply(x);
  const cov = w.transpose(0, 1).matmul(w).div(39).dataSync();
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 6; j++) assert.ok(Math.abs(cov[i * 6 + j] - (i === j ? 1 : 0)) < 0.02);
  }
});

Deno.test("fitZca apply keeps image shapes [N, C, H, W] and single samples", () => {
  const rng = new Rng(1);
  const data = Float32Array.from({ length: 30 * 8 }, () => rng.random());
  const x = tensor(data, { shape: [30, 2, 2, 2] });
  const zca = fitZca(x);
  assert.deepEqual(zca.matrix.shape, [8, 8]);
  assert.deepEqual(zca.apply(x).shape, [30, 2, 2, 2]);
  const one = zca.apply(x.slice([[3, 4]]).reshape([8]));
  assertClose(one, zca.apply(x).slice([[3, 4]]).reshape([8]), { atol: 1e-5 });
  assertThrowsMessage(
    () => zca.apply(zeros([3, 5])),
    ShapeError,
    "Cannot apply ZCA to shape [3, 5]: expected [8] or samples [M, ...] of 8 features each",
  );
});

Deno.test("fitPca matches PyTorch components, variances and projections", () => {
  const x = fromFixture(fx.whiten_input);
  const pca = fitPca(x, { components: 3 });
  assertClose(pca.explainedVariance, fromFixture(fx.pca_variance), { rtol: 1e-4, atol: 1e-4 });
  assertClose(pca.components, fromFixture(fx.pca_components), { atol: 1e-4 });
  assertClose(pca.explainedVarianceRatio, fromFixture(fx.pca_ratio), { atol: 1e-5 });
  const z = pca.apply(x);
  assert.deepEqual(z.shape, [40, 3]);
  assertClose(z, fromFixture(fx.pca_output), { atol: 1e-3, rtol: 1e-3 });
  // All components reconstruct exactly; whitening gives unit variance.
  const full = fitPca(x);
  assertClose(full.inverse(full.apply(x)), x, { atol: 1e-3 });
  const w = fitPca(x, { components: 2, whiten: true }).apply(x);
  const v = w.square().sum(0).div(39).dataSync();
  assert.ok(Math.abs(v[0] - 1) < 1e-3 && Math.abs(v[1] - 1) < 1e-3);
});

Deno.test("fitPca and fitZca validate their input", () => {
  assertThrowsMessage(
    () => fitPca(zeros([1, 4])),
    ShapeError,
    "Cannot fitPca() shape [1, 4]: expected at least 2 samples [N, D] (or [N, ...])",
  );
  assertThrowsMessage(
    () => fitZca(zeros([4, 2], { dtype: "int32" })),
    DTypeError,
    "Cannot fitZca() dtype int32: expected float32",
  );
  assertThrowsMessage(
    () => fitPca(zeros([4, 3]), { components: 4 }),
    RangeError,
    "Cannot fitPca() with components 4 for 3 features: expected an integer in [1, 3]",
  );
  assertThrowsMessage(
    () => fitZca(zeros([4, 3]), { eps: -1 }),
    RangeError,
    "Cannot fitZca() with eps -1: expected a non-negative number",
  );
});
