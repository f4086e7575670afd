/**
 * Fused in-place update kernels for the hot optimizers: one pass over the
 * parameter, its gradient and its state instead of a dozen elementwise ops
 * and temporaries. Used when the parameter's backend registers the kernel
 * and every tensor is contiguous; otherwise the optimizers fall back to
 * their op-by-op form, which computes the same update.
 *
 * @module
 */
import { cpuData, hasKernel, registerKernel, runKernel, type Tensor } from "@dendrite/tensor";
import { adamStepWasm } from "./wasm_adam.ts";

/** Attributes of one fused Adam/AdamW step. */
export interface AdamStepAttrs {
  /** Learning rate divided by the first bias correction. */
  stepSize: number;
  /** β₁. */
  beta1: number;
  /** β₂. */
  beta2: number;
  /** √(second bias correction). */
  bc2Sqrt: number;
  /** ε. */
  eps: number;
  /** L2 weight decay added to the gradient (Adam). */
  weightDecay: number;
  /** Decoupled decay factor `1 − lr·wd` applied to the parameter first (AdamW; 1 for none). */
  decay: number;
  /** Negate the gradient. */
  maximize: boolean;
}

registerKernel("AdamStep", "cpu", (inputs, a: AdamStepAttrs) => {
  const [p, g, m, v, vmax] = inputs.map((t) => cpuData(t) as Float32Array);
  const po = inputs[0].offset, go = inputs[1].offset, mo = inputs[2].offset, vo = inputs[3].offset;
  const xo = vmax ? inputs[4].offset : 0;
  const n = inputs[0].shape.reduce((x, y) => x * y, 1);
  const { stepSize, beta1, beta2, bc2Sqrt, eps, weightDecay, decay, maximize } = a;
  const c1 = 1 - beta1, c2 = 1 - beta2;
  if (!vmax && !maximize && weightDecay === 0) {
    // The common case: in WebAssembly SIMD where the runtime has it, else
    // without per-element branches and with one division fewer per element
    // than below (the results agree to float32 rounding).
    if (adamStepWasm(p, po, g, go, m, mo, v, vo, n, a)) return [];
    const invBc2 = 1 / bc2Sqrt;
    for (let i = 0; i < n; i++) {
      const gi = g[go + i];
      const mi = beta1 * m[mo + i] + c1 * gi;
      const vi = beta2 * v[vo + i] + c2 * gi * gi;
      m[mo + i] = mi;
      v[vo + i] = vi;
      const pi = decay !== 1 ? p[po + i] * decay : p[po + i];
      p[po + i] = pi - stepSize * mi / (Math.sqrt(vi) * invBc2 + eps);
    }
    return [];
  }
  for (let i = 0; i < n; i++) {
    let pi = p[po + i];
    if (decay !== 1) pi *= decay;
    let gi = maximize ? -g[go + i] : g[go + i];
    if (weightDecay !== 0) gi += weightDecay * pi;
    const mi = beta1 * m[mo + i] + c1 * gi;
    let vi = beta2 * v[vo + i] + c2 * gi * gi;
    m[mo + i] = mi;
    v[vo + i] = vi;
    if (vmax) {
      const mx = Math.max(vmax[xo + i], vi);
      vmax[xo + i] = mx;
      vi = mx;
    }
    p[po + i] = pi - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
  return [];
});

registerKernel(
  "SgdStep",
  "cpu",
  (
    inputs,
    a: {
      lr: number;
      momentum: number;
      dampening: number;
      weightDecay: number;
      nesterov: boolean;
      maximize: boolean;
      first: boolean;
    },
  ) => {
    const [p, g, buf] = inputs.map((t) => cpuData(t) as Float32Array);
    const po = inputs[0].offset, go = inputs[1].offset, bo = buf ? inputs[2].offset : 0;
    const n = inputs[0].shape.reduce((x, y) => x * y, 1);
    for (let i = 0; i < n; i++) {
      let gi = a.maximize ? -g[go + i] : g[go + i];
      if (a.weightDecay !== 0) gi += a.weightDecay * p[po + i];
      if (buf) {
        const b = a.first ? gi : a.momentum * buf[bo + i] + (1 - a.dampening) * gi;
        buf[bo + i] = b;
        gi = a.nesterov ? gi + a.momentum * b : b;
      }
      p[po + i] -= a.lr * gi;
    }
    return [];
  },
);

/**
 * Whether a fused kernel can update these tensors in place.
 *
 * @param name Kernel name.
 * @param tensors The parameter, gradient and state tensors.
 * @returns True when registered for their backend and all are contiguous and alike.
 */
export function canFuse(name: string, tensors: Tensor[]): boolean {
  const b = tensors[0].backend;
  return hasKernel(name, b.name) &&
    tensors.every((t) =>
      t.backend === b && t.isContiguous && t.dtype === "float32" && t.size === tensors[0].size
    );
}

/**
 * Runs a fused update kernel (its outputs are the in-place writes).
 *
 * @param name Kernel name.
 * @param tensors Inputs.
 * @param attrs Attributes.
 */
export function runFused(name: string, tensors: Tensor[], attrs: unknown): void {
  runKernel(name, tensors[0].backend, tensors, attrs);
}
