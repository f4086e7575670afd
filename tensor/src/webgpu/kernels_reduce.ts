/**
 * WebGPU reductions done in parallel: `Reduce` (sum, prod, max, min,
 * argmax, argmin over any axes), the batch-norm kernels and softmax
 * (the convolution's weight gradient is an implicit GEMM in
 * kernels_conv.ts). Each output is reduced by a whole
 * workgroup: every invocation accumulates a strided share of the elements,
 * then the workgroup combines the partial results in a tree in workgroup
 * memory. Very long reductions are first split into chunks (one workgroup
 * each) whose partial results a second pass combines.
 *
 * Besides being the fast way to reduce on a GPU, this bounds the loop trip
 * count of every invocation: Mesa's llvmpipe (the software adapter) stops
 * any shader loop after 65,535 iterations, so one invocation summing a
 * 50,000-element channel (the first kernels did) silently returned a partial
 * sum there.
 *
 * @module
 */
import { type KernelFn, type KernelOutput, registerKernel, type TensorInfo } from "../backend.ts";
import type { DType } from "../dtype.ts";
import { sizeOf } from "../shape.ts";
import { defaultStrides, type GpuStorage, type WebGPUBackend, WG, wgslType } from "./backend.ts";

const buf = (t: TensorInfo) => (t.storage as GpuStorage).buffer;
const be = (t: TensorInfo) => t.storage.backend as WebGPUBackend;
const f32bits = (v: number) => new Int32Array(new Float32Array([v]).buffer)[0];

/** Elements one workgroup reduces per chunk (at most `CHUNK / WG` loop trips per invocation). */
const CHUNK = WG * 256;

/** Makes `t` contiguous (the batch-norm and convolution kernels index contiguous arrays). */
function contig(t: TensorInfo): TensorInfo {
  const s = defaultStrides(t.shape);
  if (t.offset === 0 && t.strides.every((v, i) => v === s[i] || t.shape[i] === 1)) return t;
  const out = be(t).copy(t, t.dtype);
  temps.push(out.storage as GpuStorage);
  return { storage: out.storage, shape: out.shape, strides: s, offset: 0, dtype: t.dtype };
}

/** Contiguous copies made by `contig` for the kernel being run. */
const temps: GpuStorage[] = [];

/** Frees the copies `contig` made (their buffers return to the pool once the recorded work is submitted). */
function freeTemps(b: WebGPUBackend): void {
  for (const t of temps.splice(0)) b.free(t);
}

/** Registers a WebGPU kernel that frees its contiguous copies when it returns. */
function registerGpu(name: string, fn: KernelFn): void {
  registerKernel(name, "webgpu", (inputs, attrs) => {
    try {
      return fn(inputs, attrs);
    } finally {
      if (temps.length) freeTemps(be(inputs[0]));
    }
  });
}

/** Declarations and the entry point of a one-workgroup-per-item shader. */
function groupShader(arrays: [string, string, boolean][], shared: string, body: string): string {
  const decls = arrays.map(([name, type, rw], i) =>
    `@group(0) @binding(${i + 1}) var<storage, ${
      rw ? "read_write" : "read"
    }> ${name}: array<${type}>;`
  ).join("\n");
  return `
@group(0) @binding(0) var<storage, read> info: array<i32>;
${decls}
${shared}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let item = i32(wid.x + wid.y * nwg.x);
  let t = i32(lid.x);
${body}
}`;
}

/** A tree sum over `sh` (every invocation must reach it). Leaves the total in `sh[0]`. */
function treeSum(sh: string): string {
  return `
  workgroupBarrier();
  for (var s = ${WG / 2}; s > 0; s = s >> 1u) {
    if (t < s) { ${sh}[t] = ${sh}[t] + ${sh}[t + s]; }
    workgroupBarrier();
  }`;
}

/** Runs a shader with one workgroup per item. */
function dispatchGroups(
  b: WebGPUBackend,
  code: string,
  info: Int32Array,
  buffers: GPUBuffer[],
  groups: number,
): void {
  b.dispatch(code, info, buffers, groups * WG);
}

// ---- Reduce --------------------------------------------------------------

/**
 * Each reduction's starting value as f32 bits: max and min start from −∞
 * and +∞, so a row of infinities reduces to the infinity, as on the CPU
 * (WGSL has no infinity literal, and a constant one is a shader-creation
 * error, so the kernels bitcast these bits from a variable at run time).
 */
const INIT_BITS: Record<string, string> = {
  sum: "0x00000000u",
  prod: "0x3f800000u",
  max: "0xff800000u",
  min: "0x7f800000u",
  argmax: "0xff800000u",
  argmin: "0x7f800000u",
};

/**
 * WGSL that folds (`v`, `vi`) into (`acc`, `ai`) with the CPU kernel's
 * semantics: NaN wins max/min; argmax/argmin give the first NaN, else the
 * first extreme (the smaller index on ties); `ai < 0` marks "nothing yet".
 */
function combine(op: string): string {
  switch (op) {
    case "sum":
      return "acc = acc + v;";
    case "prod":
      return "acc = acc * v;";
    case "max":
      return "if (acc == acc && (v > acc || v != v)) { acc = v; }";
    case "min":
      return "if (acc == acc && (v < acc || v != v)) { acc = v; }";
    default: {
      const better = op === "argmax" ? "v > acc" : "v < acc";
      return `if (vi >= 0) {
      let vn = v != v; let an = acc != acc;
      var take = ai < 0;
      if (!take) {
        if (vn) { take = !an || vi < ai; }
        else if (!an) { take = ${better} || (v == acc && vi < ai); }
      }
      if (take) { acc = v; ai = vi; }
    }`;
    }
  }
}

/**
 * One reduction pass. With `strided`, item `o·chunks + ch` reduces chunk
 * `ch` of output `o` from the strided view `X`; otherwise it reduces row `o`
 * of the contiguous partial results `X` (with their indices `XI`). `out`
 * receives values (float32 unless `outType` applies: the last pass of a
 * value reduction); arg-reductions also write indices to `OI`.
 */
function reduceShader(op: string, inType: DType, outType: DType | null, strided: boolean): string {
  const arg = op === "argmax" || op === "argmin";
  const load = inType === "float32" ? "X[p]" : "f32(X[p])";
  const store = outType === null || outType === "float32"
    ? "acc"
    : outType === "int32"
    ? "i32(acc)"
    : "select(0u, 1u, acc != 0.0)";
  const outT = outType === null ? "f32" : wgslType(outType);
  // info: outer, inner, nk, nr, keptShape[8], keptStrides[8], redShape[8], redStrides[8],
  //       offset, chunk, chunks
  const position = strided
    ? `
      var rr = r;
      var p = base;
      for (var d = info[3] - 1; d >= 0; d--) {
        let c = rr % info[20 + d];
        rr = rr / info[20 + d];
        p += c * info[28 + d];
      }`
    : `
      let p = o * info[1] + r;`;
  return groupShader(
    [
      ["out", outT, true],
      ["OI", "i32", true],
      ["X", strided ? wgslType(inType) : "f32", false],
      ["XI", "i32", false],
    ],
    `var<workgroup> sv: array<f32, ${WG}>;\nvar<workgroup> si: array<i32, ${WG}>;`,
    `
  // Every binding must be used or "auto" layouts drop it (never true at run time).
  if (info[0] < 0) { OI[0] = XI[0]; out[0] = out[0]; }
  let chunks = info[38];
  let valid = item < info[0] * chunks;
  let o = item / chunks;
  let ch = item % chunks;
  var base = info[36];
  if (valid) {
    var rem = o;
    for (var d = info[2] - 1; d >= 0; d--) {
      let c = rem % info[4 + d];
      rem = rem / info[4 + d];
      base += c * info[12 + d];
    }
  }
  var init_bits: u32 = ${INIT_BITS[op]};
  var acc: f32 = bitcast<f32>(init_bits);
  var ai: i32 = -1;
  if (valid) {
    let r0 = ch * info[37];
    let r1 = min(info[1], r0 + info[37]);
    for (var r = r0 + t; r < r1; r += ${WG}) {${position}
      let v = ${strided ? load : "X[p]"};
      let vi = ${strided ? "r" : "XI[p]"};
      ${combine(op)}
    }
  }
  sv[t] = acc;
  si[t] = ai;
  workgroupBarrier();
  for (var s = ${WG / 2}; s > 0; s = s >> 1u) {
    if (t < s) {
      acc = sv[t];
      ai = si[t];
      let v = sv[t + s];
      let vi = si[t + s];
      ${combine(op)}
      sv[t] = acc;
      si[t] = ai;
    }
    workgroupBarrier();
  }
  if (valid && t == 0) {
    acc = sv[0];
    out[item] = ${store};
    ${arg ? "OI[item] = si[0];" : ""}
  }`,
  );
}

registerGpu(
  "Reduce",
  ([x], { op, axes, outDType }: { op: string; axes: number[]; outDType: DType }) => {
    const b = be(x);
    const nd = x.shape.length;
    if (nd > 8) throw new Error(`Cannot run Reduce on WebGPU over ${nd} axes: at most 8`);
    const arg = op === "argmax" || op === "argmin";
    if (arg && outDType !== "int32") {
      throw new Error(`Cannot run Reduce ${op} on WebGPU into ${outDType}: expected int32`);
    }
    const kept = [...Array(nd).keys()].filter((d) => !axes.includes(d));
    const outShape = kept.map((d) => x.shape[d]);
    const outer = sizeOf(outShape), inner = sizeOf(axes.map((d) => x.shape[d]));
    const out = b.alloc(outDType, outer);
    if (outer === 0) return [{ storage: out, shape: outShape }];
    const chunks = Math.max(1, Math.ceil(inner / CHUNK));
    if (chunks > CHUNK) {
      throw new Error(`Cannot run Reduce on WebGPU over ${inner} elements: at most ${CHUNK ** 2}`);
    }
    const info = new Int32Array(39);
    info.set([outer, inner, kept.length, axes.length]);
    kept.forEach((d, i) => {
      info[4 + i] = x.shape[d];
      info[12 + i] = x.strides[d];
    });
    axes.forEach((d, i) => {
      info[20 + i] = x.shape[d];
      info[28 + i] = x.strides[d];
    });
    info[36] = x.offset;
    info[37] = CHUNK;
    info[38] = chunks;
    // Placeholders for unused bindings (one written, one read: a buffer may not be both).
    const dummy = b.allocBuffer(4), dummyOut = b.allocBuffer(4);
    // Arg-reductions write their values to a scratch buffer and the indices to `out`.
    const values = arg ? b.alloc("float32", outer) : null;
    const finalBuffers = (xs: GPUBuffer, xi: GPUBuffer) =>
      arg ? [values!.buffer, out.buffer, xs, xi] : [out.buffer, dummyOut, xs, xi];
    if (chunks === 1) {
      dispatchGroups(
        b,
        reduceShader(op, x.dtype, arg ? null : outDType, true),
        info,
        finalBuffers(buf(x), dummy),
        outer,
      );
    } else {
      // Pass 1: partial values (and indices) per chunk, [outer, chunks].
      const pv = b.alloc("float32", outer * chunks);
      const pi = b.alloc("int32", outer * chunks);
      dispatchGroups(
        b,
        reduceShader(op, x.dtype, null, true),
        info,
        [pv.buffer, pi.buffer, buf(x), dummy],
        outer * chunks,
      );
      // Pass 2: combine each output's partials (a contiguous row of `chunks`).
      const info2 = new Int32Array(39);
      info2.set([outer, chunks, 0, 0]);
      info2[37] = CHUNK;
      info2[38] = 1;
      dispatchGroups(
        b,
        reduceShader(op, "float32", arg ? null : outDType, false),
        info2,
        finalBuffers(pv.buffer, pi.buffer),
        outer,
      );
      b.free(pv);
      b.free(pi);
    }
    if (values) b.free(values);
    b.releaseBuffer(dummy);
    b.releaseBuffer(dummyOut);
    return [{ storage: out, shape: outShape }];
  },
);

// ---- batch norm: one workgroup per channel ---------------------------------

/** Index of element `k` (0..n·s) of channel `ch` in a contiguous `[n, c, s]` array. */
const AT = "((k / s) * c + ch) * s + k % s";

registerGpu(
  "BatchNorm",
  ([x0, w, bb, rm, rv], a: { training: boolean; eps: number; affine: boolean }) => {
    const x = contig(x0), b = be(x);
    const [n, c] = x.shape;
    const s = x.shape.slice(2).reduce((p, q) => p * q, 1);
    const o = b.alloc("float32", sizeOf(x.shape));
    const mean = b.alloc("float32", c), vr = b.alloc("float32", c), inv = b.alloc("float32", c);
    if (!a.training) {
      // The running statistics are read through M and V: copy them in first.
      b.stridedCopy(mean.buffer, "float32", [c], [1], 0, rm, false);
      b.stridedCopy(vr.buffer, "float32", [c], [1], 0, rv, false);
    }
    const stats = a.training
      ? `
  var acc = 0.0;
  if (valid) { for (var k = t; k < m; k += ${WG}) { acc += X[${AT}]; } }
  sh[t] = acc;${treeSum("sh")}
  let mu = sh[0] / f32(m);
  workgroupBarrier();
  acc = 0.0;
  if (valid) { for (var k = t; k < m; k += ${WG}) { let d = X[${AT}] - mu; acc += d * d; } }
  sh[t] = acc;${treeSum("sh")}
  let v = sh[0] / f32(m);`
      : `
  var mu = 0.0; var v = 1.0;
  if (valid) { mu = M[ch]; v = V[ch]; }`;
    const code = groupShader(
      [
        ["o", "f32", true],
        ["M", "f32", true],
        ["V", "f32", true],
        ["S", "f32", true],
        ["X", "f32", false],
        ["G", "f32", false],
        ["B", "f32", false],
      ],
      `var<workgroup> sh: array<f32, ${WG}>;`,
      `
  let c = info[0]; let s = info[2]; let m = info[1] * s;
  let ch = item;
  let valid = ch < c;
  ${stats}
  let is = 1.0 / sqrt(v + bitcast<f32>(info[4]));
  var g = is; var shift = -mu * is;
  if (valid && ${a.affine}) { g = G[ch] * is; shift = B[ch] - mu * g; }
  if (valid) {
    for (var k = t; k < m; k += ${WG}) { let i = ${AT}; o[i] = X[i] * g + shift; }
    if (t == 0) { M[ch] = mu; V[ch] = v; S[ch] = is; }
  }`,
    );
    const dummy = b.allocBuffer(4);
    dispatchGroups(
      b,
      code,
      new Int32Array([c, n, s, 0, f32bits(a.eps)]),
      [
        o.buffer,
        mean.buffer,
        vr.buffer,
        inv.buffer,
        buf(x),
        a.affine ? buf(contig(w)) : dummy,
        a.affine ? buf(contig(bb)) : dummy,
      ],
      c,
    );
    b.releaseBuffer(dummy);
    const shape = (t: GpuStorage, sh: number[]): KernelOutput => ({ storage: t, shape: sh });
    return [shape(o, [...x.shape]), shape(mean, [c]), shape(vr, [c]), shape(inv, [c])];
  },
);

registerGpu(
  "BatchNormBackward",
  ([x0, d0, mean, invstd, w], a: { training: boolean; affine: boolean }) => {
    const x = contig(x0), dy = contig(d0), b = be(x);
    const [n, c] = x.shape;
    const s = x.shape.slice(2).reduce((p, q) => p * q, 1);
    const dx = b.alloc("float32", sizeOf(x.shape));
    // dγ and dβ share one buffer (entries c..2c are dβ): the device may allow only 8 storage buffers.
    const both = b.alloc("float32", 2 * c);
    const code = groupShader(
      [
        ["o", "f32", true],
        ["DWB", "f32", true],
        ["X", "f32", false],
        ["D", "f32", false],
        ["M", "f32", false],
        ["S", "f32", false],
        ["G", "f32", false],
      ],
      `var<workgroup> sa: array<f32, ${WG}>;\nvar<workgroup> sb: array<f32, ${WG}>;`,
      `
  let c = info[0]; let s = info[2]; let m = info[1] * s;
  let ch = item;
  let valid = ch < c;
  var mu = 0.0; var inv = 0.0;
  if (valid) { mu = M[ch]; inv = S[ch]; }
  var a0 = 0.0; var a1 = 0.0;
  if (valid) {
    for (var k = t; k < m; k += ${WG}) { let i = ${AT}; a0 += D[i]; a1 += D[i] * (X[i] - mu); }
  }
  sa[t] = a0;
  sb[t] = a1;
  workgroupBarrier();
  for (var h = ${WG / 2}; h > 0; h = h >> 1u) {
    if (t < h) { sa[t] = sa[t] + sa[t + h]; sb[t] = sb[t] + sb[t + h]; }
    workgroupBarrier();
  }
  let sd = sa[0]; let sdx = sb[0] * inv;
  var gamma = 1.0;
  if (valid && ${a.affine}) { gamma = G[ch]; }
  if (valid) {
    if (t == 0) { DWB[ch] = sdx; DWB[c + ch] = sd; }
    let mf = f32(m);
    for (var k = t; k < m; k += ${WG}) {
      let i = ${AT};
      ${
        a.training
          ? "o[i] = gamma * inv / mf * (mf * D[i] - sd - (X[i] - mu) * inv * sdx);"
          : "o[i] = gamma * inv * D[i];"
      }
    }
  }`,
    );
    const dummy = b.allocBuffer(4);
    dispatchGroups(
      b,
      code,
      new Int32Array([c, n, s]),
      [
        dx.buffer,
        both.buffer,
        buf(x),
        buf(dy),
        buf(contig(mean)),
        buf(contig(invstd)),
        a.affine ? buf(contig(w)) : dummy,
      ],
      c,
    );
    b.releaseBuffer(dummy);
    const dw = b.alloc("float32", c), db = b.alloc("float32", c);
    const view = (offset: number): TensorInfo => ({
      storage: both,
      shape: [c],
      strides: [1],
      offset,
      dtype: "float32",
    });
    b.stridedCopy(dw.buffer, "float32", [c], [1], 0, view(0), false);
    b.stridedCopy(db.buffer, "float32", [c], [1], 0, view(c), false);
    b.free(both);
    return [
      { storage: dx, shape: [...x.shape] },
      { storage: dw, shape: [c] },
      { storage: db, shape: [c] },
    ];
  },
);

// ---- softmax: one workgroup per row ----------------------------------------

registerGpu("Softmax", ([x], { log }: { log: boolean }) => {
  const b = be(x);
  const [rows, n] = x.shape;
  const out = b.alloc("float32", rows * n);
  if (rows * n === 0) return [{ storage: out, shape: [rows, n] }];
  const code = groupShader(
    [["out", "f32", true], ["X", "f32", false]],
    `var<workgroup> sh: array<f32, ${WG}>;`,
    `
  let r = item;
  let valid = r < info[0];
  let n = info[1];
  let base = info[4] + r * info[2];
  var m = -3.4e38;
  if (valid) {
    for (var i = t; i < n; i += ${WG}) {
      let v = X[base + i * info[3]];
      if (m == m && (v > m || v != v)) { m = v; }
    }
  }
  sh[t] = m;
  workgroupBarrier();
  for (var s = ${WG / 2}; s > 0; s = s >> 1u) {
    if (t < s) { let a = sh[t]; let v = sh[t + s]; if (a == a && (v > a || v != v)) { sh[t] = v; } }
    workgroupBarrier();
  }
  m = sh[0];
  workgroupBarrier();
  var acc = 0.0;
  if (valid) { for (var i = t; i < n; i += ${WG}) { acc += exp(X[base + i * info[3]] - m); } }
  sh[t] = acc;${treeSum("sh")}
  let total = sh[0];
  if (valid) {
    for (var i = t; i < n; i += ${WG}) {
      let v = X[base + i * info[3]] - m;
      out[r * n + i] = ${log ? "v - log(total)" : "exp(v) / total"};
    }
  }`,
  );
  dispatchGroups(
    b,
    code,
    new Int32Array([rows, n, x.strides[0], x.strides[1], x.offset]),
    [out.buffer, buf(x)],
    rows,
  );
  return [{ storage: out, shape: [rows, n] }];
});

// ---- scans: blocks of SCAN_BLOCK, then the blocks' running totals ----------

/** Elements one invocation scans serially. */
const SCAN_BLOCK = 2048;

registerGpu("Scan", ([x0], { op, reverse, outDType }) => {
  const x = contig(x0), b = be(x);
  const [rows, n] = x.shape;
  const o = b.alloc(outDType, rows * n);
  if (rows * n === 0) return [{ storage: o, shape: [rows, n] }];
  const blocks = Math.ceil(n / SCAN_BLOCK);
  const init = op === "sum" ? "0.0" : "1.0";
  const combine = (a: string, v: string) => op === "sum" ? `${a} + ${v}` : `${a} * ${v}`;
  const store = outDType === "float32" ? "acc" : "i32(acc)";
  // Position of step `t` of block `k` along the scan (reversed scans run from the end).
  const at = reverse ? "n - 1 - (k * B + q)" : "k * B + q";
  // Pass 1: scan each block from the identity; pass 2 (when there are several
  // blocks): each row's exclusive running totals of the blocks; pass 3: combine.
  const totals = b.alloc("float32", rows * blocks);
  b.dispatch(
    `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<${wgslType(outDType)}>;
@group(0) @binding(2) var<storage, read_write> T: array<f32>;
@group(0) @binding(3) var<storage, read> X: array<${wgslType(x.dtype)}>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = i32(gid.x + gid.y * nwg.x * ${WG}u);
  let rows = info[0]; let n = info[1]; let B = info[2]; let nb = info[3];
  if (idx >= rows * nb) { return; }
  let row = idx / nb; let k = idx % nb;
  var acc: f32 = ${init};
  for (var q = 0; q < B && k * B + q < n; q++) {
    let i = row * n + ${at};
    acc = ${combine("acc", "f32(X[i])")};
    o[i] = ${store};
  }
  T[idx] = acc;
}`,
    new Int32Array([rows, n, SCAN_BLOCK, blocks]),
    [o.buffer, totals.buffer, buf(x)],
    rows * blocks,
  );
  if (blocks > 1) {
    if (blocks > 60000) throw new Error(`Cannot run Scan on WebGPU along ${n} elements`);
    b.dispatch(
      `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> T: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (row >= info[0]) { return; }
  var acc: f32 = ${init};
  for (var k = 0; k < info[3]; k++) {
    let v = T[row * info[3] + k];
    T[row * info[3] + k] = acc;
    acc = ${combine("acc", "v")};
  }
}`,
      new Int32Array([rows, n, SCAN_BLOCK, blocks]),
      [totals.buffer],
      rows,
    );
    b.dispatch(
      `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<${wgslType(outDType)}>;
@group(0) @binding(2) var<storage, read> T: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = i32(gid.x + gid.y * nwg.x * ${WG}u);
  let n = info[1];
  if (e >= info[0] * n) { return; }
  let row = e / n; let p = e % n;
  let step = ${reverse ? "n - 1 - p" : "p"};
  let k = step / info[2];
  if (k == 0) { return; }
  let prev = T[row * info[3] + k];
  let acc = ${combine("prev", "f32(o[e])")};
  o[e] = ${store};
}`,
      new Int32Array([rows, n, SCAN_BLOCK, blocks]),
      [o.buffer, totals.buffer],
      rows * n,
    );
  }
  b.free(totals);
  return [{ storage: o, shape: [rows, n] }];
});

// ---- scatter-add and index-add: the source split into chunks ---------------

/** Source entries one invocation visits (each visit loops over at most 8 axes). */
const SCATTER_CHUNK = 4096;

/**
 * Adds the chunked partial sums `P [chunks, n]` to `X` into `o` (one
 * invocation per element), or nothing to do when there was one chunk.
 */
function addPartials(
  b: WebGPUBackend,
  o: GpuStorage,
  x: GpuStorage,
  p: GpuStorage,
  n: number,
  chunks: number,
): void {
  b.dispatch(
    `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> P: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (idx >= info[0]) { return; }
  var acc = X[idx];
  for (var c = 0; c < info[1]; c++) { acc += P[c * info[0] + idx]; }
  o[idx] = acc;
}`,
    new Int32Array([n, chunks]),
    [o.buffer, x.buffer, p.buffer],
    n,
  );
}

/**
 * Runs a gather-style accumulation `body` (which adds to `acc` for source
 * entries `l` in `[l0, l1)` of output `idx`) over chunks of the source, then
 * adds the partial sums to `X`.
 */
function chunkedAccumulate(
  b: WebGPUBackend,
  x: TensorInfo,
  index: TensorInfo,
  src: TensorInfo,
  info: number[],
  length: number,
  prelude: string,
  body: string,
): GpuStorage {
  const n = sizeOf(x.shape);
  const o = b.alloc("float32", n);
  if (n === 0) return o;
  const chunks = Math.max(1, Math.ceil(length / SCATTER_CHUNK));
  const direct = chunks === 1;
  const p = direct ? o : b.alloc("float32", n * chunks);
  const head = info.length;
  b.dispatch(
    `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> I: array<i32>;
@group(0) @binding(4) var<storage, read> S: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = i32(gid.x + gid.y * nwg.x * ${WG}u);
  let total = info[0];
  if (e >= total * info[${head + 1}]) { return; }
  let idx = e % total;
  let chunk = e / total;
  let l0 = chunk * info[${head}];
  let l1 = min(info[${head + 2}], l0 + info[${head}]);
  var acc = ${direct ? "X[idx]" : "0.0"};
  if (info[0] < 0) { acc += X[0]; }
  ${prelude}
  for (var l = l0; l < l1; l++) {
    ${body}
  }
  o[e] = acc;
}`,
    new Int32Array([...info, SCATTER_CHUNK, chunks, length]),
    [p.buffer, (x.storage as GpuStorage).buffer, buf(index), buf(src)],
    n * chunks,
  );
  if (!direct) {
    addPartials(b, o, x.storage as GpuStorage, p, n, chunks);
    b.free(p);
  }
  return o;
}

registerGpu("IndexAdd", ([x0, i0, s0], { axis }) => {
  const x = contig(x0), index = contig(i0), src = contig(s0), b = be(x);
  if (x.dtype !== "float32") {
    throw new Error(`Cannot run indexAdd on WebGPU for ${x.dtype}: float32 only`);
  }
  const n = x.shape[axis], m = sizeOf(index.shape);
  const inner = sizeOf(x.shape.slice(axis + 1));
  const o = chunkedAccumulate(
    b,
    x,
    index,
    src,
    [sizeOf(x.shape), m, inner, n],
    m,
    `let i = idx % info[2];
  let row = (idx / info[2]) % info[3];
  let ou = idx / (info[2] * info[3]);`,
    `var k = I[l];
    if (k < 0) { k += info[3]; }
    if (k == row) { acc += S[(ou * info[1] + l) * info[2] + i]; }`,
  );
  return [{ storage: o, shape: [...x.shape] }];
});

const pad8 = (xs: readonly number[]): number[] => {
  const out = new Array<number>(8).fill(0);
  xs.forEach((v, i) => (out[i] = v));
  return out;
};

registerGpu("ScatterAdd", ([x0, i0, s0], { axis }) => {
  // One invocation per output element (and source chunk): sum the src entries whose index points at it.
  const x = contig(x0), index = contig(i0), src = contig(s0), b = be(x);
  if (x.dtype !== "float32") {
    throw new Error(`Cannot run scatterAdd on WebGPU for ${x.dtype}: float32 only`);
  }
  const nd = x.shape.length;
  const o = chunkedAccumulate(
    b,
    x,
    index,
    src,
    [
      sizeOf(x.shape),
      nd,
      axis,
      ...pad8(x.shape),
      ...pad8(index.shape),
      ...pad8(defaultStrides(index.shape)),
      ...pad8(defaultStrides(src.shape)),
      x.shape[axis],
    ],
    index.shape[axis] ?? 0,
    `var rem = idx; var coords: array<i32, 8>;
  for (var d = info[1] - 1; d >= 0; d--) { coords[d] = rem % info[3 + d]; rem = rem / info[3 + d]; }
  var outside = false;
  for (var d = 0; d < info[1]; d++) { if (d != info[2] && coords[d] >= info[11 + d]) { outside = true; } }
  let stop = select(l1, l0, outside);`,
    `if (l >= stop) { break; }
    var ii = 0; var si = 0;
    for (var d = 0; d < info[1]; d++) {
      let c = select(coords[d], l, d == info[2]);
      ii += c * info[19 + d]; si += c * info[27 + d];
    }
    var k = I[ii];
    if (k < 0) { k += info[35]; }
    if (k == coords[info[2]]) { acc += S[si]; }`,
  );
  return [{ storage: o, shape: [...x.shape] }];
});

// ---- average-pool gradient: one invocation per input element ----------------

/** Pooling windows along one axis (as the pooling ops pass them). */
interface Windows {
  start: number[];
  end: number[];
  padEnd: number[];
  padStart: number[];
  step: number;
}

registerGpu(
  "AvgPool2dBackward",
  (
    [d0],
    a: {
      hw: Windows;
      ww: Windows;
      countIncludePad: boolean;
      divisor?: number;
      h: number;
      w: number;
    },
  ) => {
    // Each input element gathers from the windows that cover it: window starts
    // and ends never decrease, so a binary search finds the first one and the
    // scan stops at the first window starting after it.
    const dy = contig(d0), b = be(dy);
    const [n, c, oh, ow] = dy.shape;
    const o = b.alloc("float32", n * c * a.h * a.w);
    const H = 9, HE = H + oh, HPS = H + 2 * oh, HPE = H + 3 * oh;
    const W = H + 4 * oh, WE = W + ow, WPS = W + 2 * ow, WPE = W + 3 * ow;
    const info = new Int32Array([
      n * c * a.h * a.w,
      a.h,
      a.w,
      oh,
      ow,
      0,
      0,
      a.divisor ?? 0,
      a.countIncludePad ? 1 : 0,
      ...a.hw.start,
      ...a.hw.end,
      ...a.hw.padStart,
      ...a.hw.padEnd,
      ...a.ww.start,
      ...a.ww.end,
      ...a.ww.padStart,
      ...a.ww.padEnd,
    ]);
    b.dispatch(
      `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@group(0) @binding(2) var<storage, read> D: array<f32>;
/** The first window (of count) whose end lies after p; ends start at info[e]. */
fn firstEnding(e: i32, count: i32, p: i32) -> i32 {
  var lo = 0; var hi = count;
  while (lo < hi) { let mid = (lo + hi) / 2; if (info[e + mid] > p) { hi = mid; } else { lo = mid + 1; } }
  return lo;
}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = i32(gid.x + gid.y * nwg.x * ${WG}u);
  if (idx >= info[0]) { return; }
  let h = info[1]; let w = info[2]; let oh = info[3]; let ow = info[4];
  let z = idx % w; let y = (idx / w) % h; let pl = idx / (w * h);
  var acc = 0.0;
  for (var i = firstEnding(${HE}, oh, y); i < oh && info[${H} + i] <= y; i++) {
    let hs = info[${H} + i]; let he = info[${HE} + i];
    for (var j = firstEnding(${WE}, ow, z); j < ow && info[${W} + j] <= z; j++) {
      let ws = info[${W} + j]; let we = info[${WE} + j];
      var div = f32(info[7]);
      if (info[7] == 0) {
        if (info[8] == 1) { div = f32((info[${HPE} + i] - info[${HPS} + i]) * (info[${WPE} + j] - info[${WPS} + j])); }
        else { div = f32((min(he, h) - max(hs, 0)) * (min(we, w) - max(ws, 0))); }
      }
      acc += D[(pl * oh + i) * ow + j] / div;
    }
  }
  o[idx] = acc;
}`,
      info,
      [o.buffer, buf(dy)],
      n * c * a.h * a.w,
    );
    return [{ storage: o, shape: [n, c, a.h, a.w] }];
  },
);

// ---- sort: a bitonic network over each row, padded to a power of two -------

/**
 * Stable sort indices of each row of `[rows, n]`: a bitonic network over
 * `P` (the next power of two) slots per row, comparing `(value, index)`
 * pairs, so the order is the CPU's stable one; NaN sorts above +∞ and the
 * padding slots (index ≥ n) after everything. One dispatch per network
 * stage, `log₂P·(log₂P + 1)/2` in all.
 */
registerGpu("SortIndices", ([x0], { descending }: { descending: boolean }) => {
  const x = contig(x0), b = be(x);
  const [rows, n] = x.shape;
  if (rows * n === 0) return [{ storage: b.alloc("int32", 0), shape: [rows, n] }];
  let P = 1;
  while (P < n) P *= 2;
  const idx = b.alloc("int32", rows * P);
  const head = `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> I: array<i32>;`;
  const main = `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = i32(gid.x + gid.y * nwg.x * ${WG}u);`;
  b.dispatch(
    `${head}${main}
  if (t >= info[0] * info[2]) { return; }
  I[t] = t % info[2];
}`,
    new Int32Array([rows, n, P]),
    [idx.buffer],
    rows * P,
  );
  // before(a, b): whether row slot values a and b (indices) come in that order.
  const network = `${head}
@group(0) @binding(2) var<storage, read> X: array<${wgslType(x.dtype)}>;
fn before(row: i32, a: i32, c: i32) -> bool {
  let n = info[1];
  if (a >= n) { return false; }
  if (c >= n) { return true; }
  let va = f32(X[row * n + a]); let vc = f32(X[row * n + c]);
  let na = va != va; let nc = vc != vc;
  if (na || nc) {
    if (na && nc) { return a < c; }
    return ${descending ? "na" : "nc"};
  }
  if (va == vc) { return a < c; }
  return ${descending ? "va > vc" : "va < vc"};
}${main}
  let half = info[2] / 2;
  if (t >= info[0] * half) { return; }
  let row = t / half; let q = t % half;
  let k = info[3]; let j = info[4];
  let i = 2 * j * (q / j) + q % j;
  let l = i + j;
  let base = row * info[2];
  let a = I[base + i]; let c = I[base + l];
  let up = (i & k) == 0;
  if ((up && before(row, c, a)) || (!up && before(row, a, c))) {
    I[base + i] = c;
    I[base + l] = a;
  }
}`;
  for (let k = 2; k <= P; k *= 2) {
    for (let j = k / 2; j >= 1; j /= 2) {
      b.dispatch(network, new Int32Array([rows, n, P, k, j]), [idx.buffer, buf(x)], rows * (P / 2));
    }
  }
  // Rows of a power-of-two length are the result as they are.
  if (P === n) return [{ storage: idx, shape: [rows, n] }];
  const o = b.alloc("int32", rows * n);
  b.dispatch(
    `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> o: array<i32>;
@group(0) @binding(2) var<storage, read> I: array<i32>;${main}
  let n = info[1];
  if (t >= info[0] * n) { return; }
  o[t] = I[(t / n) * info[2] + t % n];
}`,
    new Int32Array([rows, n, P]),
    [o.buffer, idx.buffer],
    rows * n,
  );
  b.free(idx);
  return [{ storage: o, shape: [rows, n] }];
});
