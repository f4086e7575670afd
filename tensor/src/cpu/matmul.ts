/**
 * The CPU `MatMul` kernel: batched, strided operands, a cache-blocked
 * TypeScript GEMM, and native BLAS (`cblas_sgemm`) when one is loaded.
 *
 * @module
 */
import { registerKernel, type TensorInfo } from "../backend.ts";
import { sizeOf } from "../shape.ts";
import { cpuAllocF32, cpuContiguous, cpuData, cpuOutput } from "./backend.ts";
import { gemm } from "./gemm.ts";
import { activateInPlace, type FusedActivation } from "../fused.ts";

/** How a 2-D strided matrix can be handed to GEMM without a copy. */
function layout(
  t: TensorInfo,
  rows: number,
  cols: number,
): { trans: boolean; ld: number } | null {
  const nd = t.shape.length;
  const rs = t.strides[nd - 2], cs = t.strides[nd - 1];
  if ((cs === 1 || cols === 1) && (rs >= cols || rows === 1)) {
    return { trans: false, ld: rows === 1 ? cols : rs };
  }
  if ((rs === 1 || rows === 1) && (cs >= rows || cols === 1)) {
    return { trans: true, ld: cols === 1 ? rows : cs };
  }
  return null;
}

registerKernel("MatMul", "cpu", ([a, b, bias], attrs: { activation?: FusedActivation }) => {
  const nd = a.shape.length;
  const m = a.shape[nd - 2], k = a.shape[nd - 1], n = b.shape[nd - 1];
  const batchShape = a.shape.slice(0, -2);
  const batch = sizeOf(batchShape);
  const out = cpuAllocF32(batch * m * n);
  if (batch === 0 || m === 0 || n === 0) return [cpuOutput(out, [...batchShape, m, n])];
  let la = layout(a, m, k), lb = layout(b, k, n);
  let ad = cpuData(a) as Float32Array, bd = cpuData(b) as Float32Array;
  let aStrides = a.strides, bStrides = b.strides, aOff = a.offset, bOff = b.offset;
  if (!la) {
    ad = cpuContiguous(a) as Float32Array;
    la = { trans: false, ld: k };
    aStrides = contiguousStrides(a.shape), aOff = 0;
  }
  if (!lb) {
    bd = cpuContiguous(b) as Float32Array;
    lb = { trans: false, ld: n };
    bStrides = contiguousStrides(b.shape), bOff = 0;
  }
  // A bias (the epilogue of `linear`) fills each output row before the
  // product is added to it.
  const bv = bias ? cpuContiguous(bias) as Float32Array : null;
  const idx = new Array<number>(nd - 2).fill(0);
  for (let i = 0; i < batch; i++) {
    let ao = aOff, bo = bOff;
    for (let d = 0; d < nd - 2; d++) {
      ao += idx[d] * aStrides[d];
      bo += idx[d] * bStrides[d];
    }
    if (bv) { for (let r = 0; r < m; r++) out.set(bv, i * m * n + r * n); }
    gemm(la.trans, lb.trans, m, n, k, ad, ao, la.ld, bd, bo, lb.ld, out, i * m * n, n, !!bv);
    for (let d = nd - 3; d >= 0; d--) {
      if (++idx[d] < batchShape[d]) break;
      idx[d] = 0;
    }
  }
  if (attrs.activation) activateInPlace(out, attrs.activation);
  return [cpuOutput(out, [...batchShape, m, n])];
});

function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
