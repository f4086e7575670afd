/**
 * The WebGPU backend: GPU buffers from a size-class pool, WGSL elementwise
 * shaders generated from each op's snippet (strided, broadcast inputs), and
 * strided copies; the other kernels live in the kernels_*.ts files. Work is
 * recorded synchronously into batched command buffers (see `flush`);
 * reading values is async. Select it with `await initBackend()`, or
 * explicitly with `await initWebGPU()` then `setBackend("webgpu")`.
 *
 * @module
 */
import type {
  Backend,
  ElementwiseSpec,
  KernelOutput,
  MemoryInfo,
  Storage,
  TensorInfo,
} from "../backend.ts";
import { getBackend, registerBackend, setBackend } from "../backend.ts";
import { blasInfo } from "../cpu/blas.ts";
import { dnnlInfo } from "../cpu/dnnl.ts";
import { wasmInfo } from "../cpu/wasm_emit.ts";
import type { DType, TypedArray } from "../dtype.ts";
import { BackendError } from "../errors.ts";
import { sizeOf } from "../shape.ts";

/** GPU storage: a buffer holding 4 bytes per element (bool as u32). */
export interface GpuStorage extends Storage {
  /** The buffer (its size is a power-of-two size class, at least 4·size bytes). */
  readonly buffer: GPUBuffer;
}

const WG = 256;

/** WGSL helpers the elementwise snippets may call. */
const PRELUDE = `
fn pow_f(a: f32, b: f32) -> f32 {
  // WGSL leaves pow(0, b <= 0) undefined (exp2(b * log2(0)): NaN for b = 0).
  if (b == 0.0) { return 1.0; }
  if (a == 0.0 && b == b) {
    if (b > 0.0) { return 0.0; }
    var inf_bits = 0x7f800000u;
    return bitcast<f32>(inf_bits);
  }
  if (a >= 0.0) { return pow(a, b); }
  let r = pow(-a, b);
  if (b == round(b)) { if (i32(b) % 2 == 0) { return r; } return -r; }
  return bitcast<f32>(0x7fc00000u);
}
fn log1p_f(a: f32) -> f32 {
  let u = 1.0 + a;
  if (u == 1.0) { return a; }
  // Where 1 + a rounds to a (huge or infinite a), log(u) is the answer;
  // the correction below would be inf * inf / inf = NaN at a = inf.
  if (a > 1e8) { return log(u); }
  return log(u) * a / (u - 1.0);
}
fn expm1_f(a: f32) -> f32 { if (abs(a) < 1e-5) { return a + 0.5 * a * a; } return exp(a) - 1.0; }
fn erf_f(x: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return select(-y, y, x >= 0.0);
}
fn clamp_f(a: f32, lo: f32, hi: f32) -> f32 {
  var r = a;
  if (lo == lo && r < lo) { r = lo; }
  if (hi == hi && r > hi) { r = hi; }
  return r;
}
`;

function wgslType(dt: DType): string {
  return dt === "float32" ? "f32" : dt === "int32" ? "i32" : "u32";
}

function toF32(expr: string, dt: DType): string {
  return dt === "float32" ? expr : `f32(${expr})`;
}

function fromF32(expr: string, dt: DType): string {
  if (dt === "float32") return expr;
  if (dt === "int32") return `i32(${expr})`;
  return `select(0u, 1u, (${expr}) != 0.0)`;
}

/** Index decomposition shared by the generated shaders: meta = [n, nd, shape[8], strides[k][8], offsets[k]]. */
function walkCode(k: number): string {
  const decl = Array.from({ length: k }, (_, j) => `var o${j} = info[${2 + 8 + 8 * k + j}];`).join(
    "\n  ",
  );
  const acc = Array.from({ length: k }, (_, j) => `o${j} += c * info[${10 + 8 * j} + d];`).join(
    "\n    ",
  );
  return `
  let nd = info[1];
  var rem = i32(idx);
  ${decl}
  for (var d = nd - 1; d >= 0; d--) {
    let size = info[2 + d];
    let c = rem % size;
    rem = rem / size;
    ${acc}
  }`;
}

/** Builds the int32 metadata for a walk over `shape` with per-operand strides and offsets. */
function walkMeta(
  shape: readonly number[],
  operands: { strides: readonly number[]; offset: number }[],
  extra: number[] = [],
): Int32Array {
  if (shape.length > 8) {
    throw new BackendError(
      `Cannot run a WebGPU kernel on ${shape.length} axes: at most 8 are supported`,
    );
  }
  const k = operands.length;
  const m = new Int32Array(2 + 8 + 8 * k + k + extra.length);
  m[0] = sizeOf(shape);
  m[1] = shape.length;
  shape.forEach((d, i) => (m[2 + i] = d));
  operands.forEach((o, j) => {
    const lead = shape.length - o.strides.length;
    o.strides.forEach((s, i) => (m[10 + 8 * j + lead + i] = s));
    m[10 + 8 * k + j] = o.offset;
  });
  extra.forEach((v, i) => (m[10 + 9 * k + i] = v));
  return m;
}

function f32bits(v: number): number {
  return new Int32Array(new Float32Array([v]).buffer)[0];
}

/** The WebGPU backend; create it with `initWebGPU()`. */
export class WebGPUBackend implements Backend {
  readonly name = "webgpu";
  /** The device. */
  readonly device: GPUDevice;
  /** The adapter's description. */
  readonly adapterInfo: GPUAdapterInfo;
  #pool = new Map<number, GPUBuffer[]>();
  #pipelines = new Map<string, GPUComputePipeline>();
  #buffers = 0;
  #bytes = 0;
  #pooledBytes = 0;
  #lost: string | null = null;
  #error: string | null = null;
  // Command batching: work is recorded into one encoder (and one open
  // compute pass) and submitted when a value is read, when the current
  // synchronous run of JavaScript ends (a microtask), or after
  // `maxDispatchesPerSubmit` dispatches. Buffers released while work is
  // recorded but not submitted go back to the pool only after the submit: a
  // queue.writeBuffer into a reused buffer would otherwise land before the
  // recorded commands that still read it.
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #recorded = 0;
  #deferred: GPUBuffer[] = [];
  #counters = { dispatches: 0, submits: 0, reads: 0 };
  /**
   * How many dispatches one command buffer holds at most before it is
   * submitted (more means fewer submits; fewer lets the GPU start sooner).
   */
  maxDispatchesPerSubmit = 64;

  /**
   * Wraps a device (see `initWebGPU`).
   *
   * @param device The device.
   * @param adapterInfo The adapter's description.
   */
  constructor(device: GPUDevice, adapterInfo: GPUAdapterInfo) {
    this.device = device;
    this.adapterInfo = adapterInfo;
    device.lost.then((info) => {
      this.#lost = `${info.reason}: ${info.message}`;
    });
    // Validation and out-of-memory errors of queued work arrive as events; the
    // next read (or op) reports the first one instead of returning what the
    // failed work left in its buffers.
    device.addEventListener("uncapturederror", (e) => {
      this.#error ??= (e as GPUUncapturedErrorEvent).error.message;
    });
  }

  #check(): void {
    if (this.#lost) {
      throw new BackendError(`Cannot use the WebGPU device: it was lost (${this.#lost})`);
    }
    if (this.#error) {
      const message = this.#error;
      this.#error = null;
      throw new BackendError(
        `WebGPU reported an error for earlier work, whose results are invalid: ${message}`,
      );
    }
  }

  /**
   * A buffer of at least `bytes` bytes from the pool.
   *
   * @param bytes Size needed.
   * @returns The buffer.
   */
  allocBuffer(bytes: number): GPUBuffer {
    const cls = Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));
    const list = this.#pool.get(cls);
    const b = list?.pop();
    if (b) {
      this.#pooledBytes -= cls;
      return b;
    }
    this.#check();
    if (
      cls > this.device.limits.maxBufferSize || cls > this.device.limits.maxStorageBufferBindingSize
    ) {
      throw new BackendError(
        `Cannot allocate ${bytes} bytes on the WebGPU device: the limit for one buffer is ${
          Math.min(this.device.limits.maxBufferSize, this.device.limits.maxStorageBufferBindingSize)
        } bytes`,
      );
    }
    return this.device.createBuffer({
      size: cls,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  /**
   * Returns a buffer to the pool. While recorded work is not yet submitted the
   * buffer waits until the next `flush()`, so later uploads cannot overwrite
   * what that work still reads.
   *
   * @param b The buffer.
   */
  releaseBuffer(b: GPUBuffer): void {
    if (this.#encoder) {
      this.#deferred.push(b);
      return;
    }
    let list = this.#pool.get(b.size);
    if (!list) this.#pool.set(b.size, list = []);
    list.push(b);
    this.#pooledBytes += b.size;
  }

  /**
   * A new storage of `size` elements (contents undefined unless `zero`).
   *
   * @param dtype Element type.
   * @param size Elements.
   * @param zero Clear it.
   * @returns The storage.
   */
  alloc(dtype: DType, size: number, zero = false): GpuStorage {
    const buffer = this.allocBuffer(size * 4);
    if (zero) this.#copyEncoder().clearBuffer(buffer);
    this.#buffers++;
    this.#bytes += size * 4;
    return { backend: this, dtype, size, refs: 0, buffer };
  }

  fromArray(data: TypedArray): Storage {
    const dt: DType = data instanceof Float32Array
      ? "float32"
      : data instanceof Int32Array
      ? "int32"
      : "bool";
    const s = this.alloc(dt, data.length);
    const words = dt === "bool" ? Uint32Array.from(data) : data;
    if (words.byteLength) {
      this.device.queue.writeBuffer(
        s.buffer,
        0,
        words.buffer as ArrayBuffer,
        words.byteOffset,
        words.byteLength,
      );
    }
    return s;
  }

  async read(storage: Storage): Promise<TypedArray> {
    this.#check();
    const s = storage as GpuStorage;
    const bytes = s.size * 4;
    const out = s.dtype === "float32"
      ? new Float32Array(s.size)
      : s.dtype === "int32"
      ? new Int32Array(s.size)
      : new Uint8Array(s.size);
    if (bytes === 0) return out;
    const staging = this.device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.#copyEncoder().copyBufferToBuffer(s.buffer, 0, staging, 0, bytes);
    this.flush();
    this.#counters.reads++;
    await staging.mapAsync(GPUMapMode.READ);
    const raw = staging.getMappedRange().slice(0);
    if (this.#error) {
      staging.unmap();
      staging.destroy();
      this.#check();
    }
    staging.unmap();
    staging.destroy();
    if (s.dtype === "bool") {
      const w = new Uint32Array(raw);
      for (let i = 0; i < w.length; i++) out[i] = w[i] ? 1 : 0;
    } else out.set(s.dtype === "float32" ? new Float32Array(raw) : new Int32Array(raw));
    return out;
  }

  free(storage: Storage): void {
    this.#buffers--;
    this.#bytes -= storage.size * 4;
    this.releaseBuffer((storage as GpuStorage).buffer);
  }

  memory(): MemoryInfo {
    return { buffers: this.#buffers, bytes: this.#bytes, pooledBytes: this.#pooledBytes };
  }

  /**
   * Compiles (once) and caches a compute pipeline.
   *
   * @param code WGSL source with an entry point `main`.
   * @returns The pipeline.
   */
  pipeline(code: string): GPUComputePipeline {
    let p = this.#pipelines.get(code);
    if (!p) {
      this.#check();
      const module = this.device.createShaderModule({ code });
      p = this.device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
      });
      this.#pipelines.set(code, p);
    }
    return p;
  }

  /**
   * Dispatches `threads` invocations of a pipeline with the given buffers
   * bound at 0, 1, 2, ... (metadata first), and submits.
   *
   * @param code WGSL source (workgroup size 256, 2-D grid of workgroups).
   * @param meta int32 metadata bound at binding 0.
   * @param buffers Buffers bound at 1, 2, ...
   * @param threads Number of invocations wanted.
   */
  dispatch(code: string, meta: Int32Array, buffers: GPUBuffer[], threads: number): void {
    // (The metadata is copied into its buffer at once, so callers may reuse the array.)
    if (threads === 0) return;
    const groups = Math.ceil(threads / WG);
    this.dispatchGroups(code, meta, buffers, [Math.min(groups, 65535), Math.ceil(groups / 65535)]);
  }

  /**
   * Dispatches an explicit grid of workgroups of a pipeline with the given
   * buffers bound at 0, 1, 2, ... (metadata first). Each dimension of `grid`
   * must be at most 65,535 (WebGPU's `maxComputeWorkgroupsPerDimension`).
   *
   * @param code WGSL source (any workgroup size within the device's limits).
   * @param meta int32 metadata bound at binding 0.
   * @param buffers Buffers bound at 1, 2, ...
   * @param grid Workgroups along x, y and z (missing ones are 1).
   */
  dispatchGroups(
    code: string,
    meta: Int32Array,
    buffers: GPUBuffer[],
    grid: readonly number[],
  ): void {
    const [x, y = 1, z = 1] = grid;
    if (x * y * z === 0) return;
    const lim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > lim || y > lim || z > lim) {
      throw new BackendError(
        `Cannot dispatch a ${x}x${y}x${z} grid of workgroups on WebGPU: at most ${lim} per dimension`,
      );
    }
    const p = this.pipeline(code);
    const mb = this.allocBuffer(meta.byteLength);
    this.device.queue.writeBuffer(
      mb,
      0,
      meta.buffer as ArrayBuffer,
      meta.byteOffset,
      meta.byteLength,
    );
    const group = this.device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: [mb, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const pass = this.#computePass();
    pass.setPipeline(p);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    this.#counters.dispatches++;
    this.releaseBuffer(mb);
    if (++this.#recorded >= this.maxDispatchesPerSubmit) this.flush();
  }

  /** The open encoder, created (and its flush scheduled) on first use. */
  #encoderNow(): GPUCommandEncoder {
    if (!this.#encoder) {
      this.#encoder = this.device.createCommandEncoder();
      queueMicrotask(() => this.flush());
    }
    return this.#encoder;
  }

  /** The encoder with no compute pass open (for copies and clears). */
  #copyEncoder(): GPUCommandEncoder {
    const enc = this.#encoderNow();
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
    return enc;
  }

  /** The open compute pass (dispatches in one pass run in order). */
  #computePass(): GPUComputePassEncoder {
    const enc = this.#encoderNow();
    return this.#pass ??= enc.beginComputePass();
  }

  /**
   * Submits the work recorded so far as one command buffer and returns the
   * buffers released meanwhile to the pool. Reads call it; it also runs on
   * its own when the current synchronous run of JavaScript ends, so calling
   * it by hand is only needed to start the GPU sooner.
   *
   * @example
   * ```ts
   * import { initWebGPU, webgpuBackend } from "@dendrite/tensor";
   * if (await initWebGPU({ allowSoftware: true }).catch(() => null)) webgpuBackend()!.flush();
   * ```
   */
  flush(): void {
    const enc = this.#encoder;
    if (!enc) return;
    if (this.#pass) {
      this.#pass.end();
      this.#pass = null;
    }
    this.#encoder = null;
    this.#recorded = 0;
    this.device.queue.submit([enc.finish()]);
    this.#counters.submits++;
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const b of deferred) this.releaseBuffer(b);
  }

  /**
   * Counts of the work sent to the device since it was created: dispatches
   * recorded, command buffers submitted, and reads back to the host. Tests
   * use them to check that a training step batches its work and reads
   * nothing back unless asked.
   *
   * @returns The counters (a copy).
   * @example
   * ```ts
   * import { initWebGPU, webgpuBackend } from "@dendrite/tensor";
   * if (await initWebGPU({ allowSoftware: true }).catch(() => null)) {
   *   console.log(webgpuBackend()!.counters());
   * }
   * ```
   */
  counters(): { dispatches: number; submits: number; reads: number } {
    return { ...this.#counters };
  }

  elementwise(
    spec: ElementwiseSpec,
    inputs: TensorInfo[],
    outShape: readonly number[],
    outDtype: DType,
    params: readonly number[],
  ): KernelOutput {
    const n = sizeOf(outShape);
    const out = this.alloc(outDtype, n);
    const k = inputs.length;
    const extra = [f32bits(params[0] ?? 0), f32bits(params[1] ?? 0)];
    const meta = walkMeta(
      outShape,
      inputs.map((t) => ({ strides: bstrides(t, outShape), offset: t.offset })),
      extra,
    );
    const names = ["a", "b", "c"];
    let lets = inputs.map((t, j) => `let ${names[j]} = ${toF32(`in${j}[o${j}]`, t.dtype)};`);
    if (spec.scalar === "b") lets = [lets[0], "let b = p0;"];
    if (spec.scalar === "a") {
      lets = [`let a = p0;`, `let b = ${toF32("in0[o0]", inputs[0].dtype)};`];
    }
    const code = `${PRELUDE}
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<${wgslType(outDtype)}>;
${
      inputs.map((t, j) =>
        `@group(0) @binding(${j + 2}) var<storage, read> in${j}: array<${wgslType(t.dtype)}>;`
      ).join("\n")
    }
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * ${WG}u;
  if (idx >= u32(info[0])) { return; }
  ${walkCode(k)}
  let p0 = bitcast<f32>(info[${10 + 9 * k}]);
  let p1 = bitcast<f32>(info[${10 + 9 * k + 1}]);
  ${lets.join("\n  ")}
  out[idx] = ${fromF32(spec.wgsl, outDtype)};
}`;
    this.dispatch(
      code,
      meta,
      [out.buffer, ...inputs.map((t) => (t.storage as GpuStorage).buffer)],
      n,
    );
    return { storage: out, shape: [...outShape] };
  }

  copy(x: TensorInfo, dtype: DType): KernelOutput {
    const n = sizeOf(x.shape);
    const out = this.alloc(dtype, n);
    this.stridedCopy(out.buffer, dtype, x.shape, defaultStrides(x.shape), 0, x, false);
    return { storage: out, shape: [...x.shape] };
  }

  /**
   * Copies a (broadcast) strided view into a strided destination view.
   *
   * @param dst Destination buffer.
   * @param dstDtype Destination dtype.
   * @param shape The iteration shape (the destination's).
   * @param dstStrides Destination strides.
   * @param dstOffset Destination offset.
   * @param src The source view (broadcast to `shape`).
   * @param accumulate Add instead of overwrite.
   */
  stridedCopy(
    dst: GPUBuffer,
    dstDtype: DType,
    shape: readonly number[],
    dstStrides: readonly number[],
    dstOffset: number,
    src: TensorInfo,
    accumulate: boolean,
  ): void {
    const n = sizeOf(shape);
    const meta = walkMeta(shape, [
      { strides: dstStrides, offset: dstOffset },
      { strides: bstrides(src, shape), offset: src.offset },
    ]);
    const v = toF32("src[o1]", src.dtype);
    const same = src.dtype === dstDtype;
    const val = same ? "src[o1]" : fromF32(v, dstDtype);
    const code = `
@group(0) @binding(0) var<storage, read> info: array<i32>;
@group(0) @binding(1) var<storage, read_write> dst: array<${wgslType(dstDtype)}>;
@group(0) @binding(2) var<storage, read> src: array<${wgslType(src.dtype)}>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * ${WG}u;
  if (idx >= u32(info[0])) { return; }
  ${walkCode(2)}
  dst[o0] = ${accumulate ? `dst[o0] + ${val}` : val};
}`;
    this.dispatch(code, meta, [dst, (src.storage as GpuStorage).buffer], n);
  }
}

function defaultStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Strides of `t` broadcast to `shape` (0 on broadcast axes), aligned right. */
function bstrides(t: TensorInfo, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(0);
  const lead = shape.length - t.shape.length;
  for (let i = 0; i < t.shape.length; i++) out[lead + i] = t.shape[i] === 1 ? 0 : t.strides[i];
  return out;
}

/** Which adapter the WebGPU backend runs on. */
export interface WebGPUInfo {
  /** Vendor, architecture, device and description as the adapter reports them. */
  adapter: GPUAdapterInfo;
  /** True for a software adapter such as Mesa llvmpipe. */
  software: boolean;
  /** The device limits Dendrite's kernels care about. */
  limits: { maxStorageBuffersPerShaderStage: number; maxComputeInvocationsPerWorkgroup: number };
}

let instance: WebGPUBackend | undefined;

/**
 * Initialises the WebGPU backend and registers it as `"webgpu"`. A software
 * adapter (e.g. llvmpipe) is accepted only with `allowSoftware`.
 *
 * @param options `allowSoftware` (default false), `powerPreference`.
 * @returns The adapter description.
 * @example
 * ```ts
 * import { initWebGPU, setBackend } from "@dendrite/tensor";
 * const info = await initWebGPU({ allowSoftware: true }).catch(() => null);
 * if (info) {
 *   console.log(info.adapter.description, info.software);
 *   setBackend("webgpu");
 *   setBackend("cpu");
 * }
 * ```
 */
export async function initWebGPU(
  options: { allowSoftware?: boolean; powerPreference?: GPUPowerPreference } = {},
): Promise<WebGPUInfo> {
  if (!instance) {
    const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
    if (!gpu) {
      throw new BackendError(
        "Cannot initialise WebGPU: navigator.gpu is not available in this runtime",
      );
    }
    const adapter = await gpu.requestAdapter({
      powerPreference: options.powerPreference ?? "high-performance",
    });
    if (!adapter) throw new BackendError("Cannot initialise WebGPU: no adapter was found");
    const software = adapter.info.isFallbackAdapter ||
      /llvmpipe|lavapipe|swiftshader|software/i.test(
        `${adapter.info.description} ${adapter.info.device} ${adapter.info.architecture}`,
      );
    if (software && !options.allowSoftware) {
      throw new BackendError(
        `Cannot initialise WebGPU on the software adapter "${
          adapter.info.description || adapter.info.device
        }": pass { allowSoftware: true } to use it anyway`,
      );
    }
    const device = await adapter.requestDevice();
    // Release the device before the runtime tears down its threads.
    globalThis.addEventListener?.("unload", () => {
      try {
        device.destroy();
      } catch {
        // already gone
      }
    });
    instance = new WebGPUBackend(device, adapter.info);
    registerBackend(instance);
  }
  const info = instance.adapterInfo;
  return {
    adapter: info,
    software: info.isFallbackAdapter ||
      /llvmpipe|lavapipe|swiftshader|software/i.test(`${info.description} ${info.device}`),
    limits: {
      maxStorageBuffersPerShaderStage: instance.device.limits.maxStorageBuffersPerShaderStage,
      maxComputeInvocationsPerWorkgroup: instance.device.limits.maxComputeInvocationsPerWorkgroup,
    },
  };
}

/**
 * The initialised WebGPU backend, if any.
 *
 * @returns The backend or undefined.
 * @example
 * ```ts
 * import { webgpuBackend } from "@dendrite/tensor";
 * console.log(webgpuBackend()?.name ?? "WebGPU not initialised");
 * ```
 */
export function webgpuBackend(): WebGPUBackend | undefined {
  return instance;
}

export { defaultStrides, walkCode, walkMeta, WG, wgslType };

/**
 * Picks the backend the way a user wants by default: `DENDRITE_BACKEND` when
 * set (`webgpu` may then use a software adapter), else WebGPU when an
 * adapter that is a real GPU exists, else the CPU. Selects it and returns its
 * name.
 *
 * @returns `"webgpu"` or `"cpu"`.
 * @example
 * ```ts
 * import { getBackend, initBackend, setBackend } from "@dendrite/tensor";
 * const name = await initBackend();
 * console.assert(getBackend().name === name);
 * setBackend("cpu");
 * ```
 */
export async function initBackend(): Promise<string> {
  let env: string | undefined;
  try {
    env = Deno.env.get("DENDRITE_BACKEND");
  } catch {
    env = undefined;
  }
  if (env === "webgpu") {
    await initWebGPU({ allowSoftware: true });
    setBackend("webgpu");
    return "webgpu";
  }
  if (env === "cpu") {
    setBackend("cpu");
    return "cpu";
  }
  if (env) setBackend(env); // throws the registered-backends error
  try {
    const info = await initWebGPU({ allowSoftware: false });
    if (!info.software) {
      setBackend("webgpu");
      return "webgpu";
    }
  } catch {
    // no adapter, or only a software one: the CPU is the better choice
  }
  setBackend("cpu");
  return "cpu";
}

/**
 * Describes the current backend: its name, and for WebGPU the adapter; for
 * the CPU which GEMM (native BLAS, WebAssembly or TypeScript) and which
 * convolutions (oneDNN or Dendrite's own kernels) run.
 *
 * @returns A printable description.
 * @example
 * ```ts
 * import { backendInfo } from "@dendrite/tensor";
 * console.log(backendInfo());
 * ```
 */
export function backendInfo(): string {
  const b = getBackend();
  if (b instanceof WebGPUBackend) {
    const i = b.adapterInfo;
    return `webgpu: ${
      [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(" / ")
    }${i.isFallbackAdapter ? " (software)" : ""}`;
  }
  const blas = blasInfo(), dnnl = dnnlInfo(), wasm = wasmInfo();
  const gemm = blas.enabled
    ? `BLAS ${blas.library}`
    : wasm.enabled
    ? `WebAssembly GEMM (no BLAS: ${blas.reason})`
    : `TypeScript kernels (${blas.reason})`;
  return `cpu: ${gemm}; convolutions: ${
    dnnl.enabled ? `oneDNN ${dnnl.version}` : `Dendrite's kernels (no oneDNN: ${dnnl.reason})`
  }`;
}
