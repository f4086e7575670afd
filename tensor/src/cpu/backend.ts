/**
 * The CPU backend: typed-array storage, generated elementwise loops, and the
 * kernel registrations of the core primitives.
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
import { registerBackend } from "../backend.ts";
import type { DType, TypedArray } from "../dtype.ts";
import { allocArray, bytesPerElement, dtypeOfArray } from "../dtype.ts";
import { sizeOf, stridesOf } from "../shape.ts";
import { rowLoop } from "./elementwise.ts";
import { broadcastStrides, coalesce, walkRows } from "./strided.ts";

/** CPU storage: a typed array. */
export interface CpuStorage extends Storage {
  /** The elements. */
  readonly data: TypedArray;
}

/** The CPU backend: typed arrays and generated loops (one instance, `cpuBackend`). */
export class CpuBackend implements Backend {
  readonly name = "cpu";
  #buffers = 0;
  #bytes = 0;
  /** Freed arrays by dtype and length, reused by `alloc` (fresh large arrays cost page faults). */
  #pool = new Map<string, TypedArray[]>();
  #pooledBytes = 0;
  /** Upper bound of the reuse pool in bytes. */
  poolLimit = 256 * 1024 * 1024;

  /**
   * Adopts a typed array as storage (no copy).
   *
   * @param data The elements.
   * @returns The storage.
   */
  wrap(data: TypedArray): CpuStorage {
    this.#buffers++;
    this.#bytes += data.byteLength;
    return {
      backend: this,
      dtype: dtypeOfArray(data),
      size: data.length,
      refs: 0,
      data,
    };
  }

  /**
   * Allocates zeroed storage.
   *
   * @param dtype Element type.
   * @param size Element count.
   * @returns The storage.
   */
  alloc(dtype: DType, size: number): CpuStorage {
    return this.wrap(this.allocArray(dtype, size));
  }

  /**
   * A storage whose elements the caller overwrites: a pooled array is
   * returned as it is, without zeroing it first.
   *
   * @param dtype Element type.
   * @param size Element count.
   * @returns The storage.
   */
  allocOverwritten(dtype: DType, size: number): CpuStorage {
    return this.wrap(this.allocArray(dtype, size, false));
  }

  /**
   * A zero-filled array, reused from the pool when one of this dtype and
   * length was freed.
   *
   * @param dtype Element type.
   * @param size Element count.
   * @param zero Zero a reused array (default true; false when the caller
   *   writes every element, which saves a pass over the memory).
   * @returns The array.
   */
  allocArray(dtype: DType, size: number, zero = true): TypedArray {
    const list = size >= 1024 ? this.#pool.get(`${dtype}:${size}`) : undefined;
    const reused = list?.pop();
    if (reused) {
      this.#pooledBytes -= reused.byteLength;
      if (zero) reused.fill(0);
      return reused;
    }
    return allocArray(dtype, size);
  }

  fromArray(data: TypedArray): Storage {
    // A fresh array plus set(): V8 does not count memory from
    // TypedArray.prototype.slice() towards GC pressure, so slice-heavy loops grew
    // without bound before a collection ran.
    const copy = this.allocArray(dtypeOfArray(data), data.length);
    copy.set(data);
    return this.wrap(copy);
  }

  read(storage: Storage): Promise<TypedArray> {
    return Promise.resolve((storage as CpuStorage).data);
  }

  readSync(storage: Storage): TypedArray {
    return (storage as CpuStorage).data;
  }

  free(storage: Storage): void {
    this.#buffers--;
    const bytes = storage.size * bytesPerElement(storage.dtype);
    this.#bytes -= bytes;
    const data = (storage as CpuStorage).data;
    // Only whole, large arrays are pooled (a subarray would alias another storage).
    if (
      data.length >= 1024 && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength &&
      this.#pooledBytes + bytes <= this.poolLimit
    ) {
      const key = `${storage.dtype}:${data.length}`;
      let list = this.#pool.get(key);
      if (!list) this.#pool.set(key, list = []);
      list.push(data);
      this.#pooledBytes += bytes;
    }
  }

  /**
   * Adjusts the counters for a storage reclaimed by the garbage collector.
   *
   * @param dtype Its dtype.
   * @param size Its element count.
   */
  forget(dtype: DType, size: number): void {
    this.#buffers--;
    this.#bytes -= size * bytesPerElement(dtype);
  }

  /** Empties the reuse pool (its memory returns to the garbage collector). */
  clearPool(): void {
    this.#pool.clear();
    this.#pooledBytes = 0;
  }

  memory(): MemoryInfo {
    return { buffers: this.#buffers, bytes: this.#bytes, pooledBytes: this.#pooledBytes };
  }

  elementwise(
    spec: ElementwiseSpec,
    inputs: TensorInfo[],
    outShape: readonly number[],
    outDtype: DType,
    params: readonly number[],
  ): KernelOutput {
    const n = sizeOf(outShape);
    // The loops below write every output element.
    const out = this.allocOverwritten(outDtype, n);
    const loop = rowLoop(spec);
    const o = out.data;
    const arrs = inputs.map((t) => (t.storage as CpuStorage).data);
    const a = arrs[0], b = arrs[1] ?? a, c = arrs[2] ?? a;
    const p0 = params[0] ?? 0, p1 = params[1] ?? 0;
    const walk = coalesce(outShape, [
      stridesOf(outShape),
      ...inputs.map((t) => broadcastStrides(t.shape, t.strides, outShape)),
    ]);
    const nd = walk.shape.length - 1;
    const s = walk.strides;
    const as = s[1][nd], bs = s[2]?.[nd] ?? 0, cs = s[3]?.[nd] ?? 0;
    walkRows(
      walk,
      [0, ...inputs.map((t) => t.offset)],
      (off, len) =>
        loop(o, a, b, c, p0, p1, off[0], off[1], as, off[2] ?? 0, bs, off[3] ?? 0, cs, len),
    );
    return { storage: out, shape: [...outShape] };
  }

  copy(x: TensorInfo, dtype: DType): KernelOutput {
    const n = sizeOf(x.shape);
    const out = this.allocOverwritten(dtype, n);
    const src = (x.storage as CpuStorage).data;
    const o = out.data;
    const walk = coalesce(x.shape, [stridesOf(x.shape), x.strides]);
    const is = walk.strides[1][walk.shape.length - 1];
    walkRows(walk, [0, x.offset], (off, len) => {
      const oo = off[0], io = off[1];
      if (is === 1 && dtype === x.dtype) {
        o.set(src.subarray(io, io + len), oo);
      } else if (dtype === "bool") {
        for (let i = 0; i < len; i++) o[oo + i] = src[io + i * is] !== 0 ? 1 : 0;
      } else {
        for (let i = 0; i < len; i++) o[oo + i] = src[io + i * is];
      }
    });
    return { storage: out, shape: [...x.shape] };
  }
}

/** The CPU backend instance. */
export const cpuBackend: CpuBackend = new CpuBackend();
registerBackend(cpuBackend);

/**
 * Returns the typed array behind a CPU tensor view's storage.
 *
 * @param t A CPU tensor view.
 * @returns The storage's elements (not a copy).
 */
export function cpuData(t: TensorInfo): TypedArray {
  return (t.storage as CpuStorage).data;
}

/**
 * Returns a contiguous typed array with `t`'s elements in row-major order,
 * without copying when `t` already is a contiguous view of a whole storage
 * prefix.
 *
 * @param t A CPU tensor view.
 * @returns Row-major elements (may alias the storage: do not write).
 */
export function cpuContiguous(t: TensorInfo): TypedArray {
  const d = cpuData(t);
  const n = sizeOf(t.shape);
  const walk = coalesce(t.shape, [t.strides]);
  if (walk.shape.length === 1 && (walk.strides[0][0] === 1 || n <= 1)) {
    return d.subarray(t.offset, t.offset + n) as TypedArray;
  }
  return (cpuBackend.copy(t, t.dtype).storage as CpuStorage).data;
}

/**
 * A zero-filled float32 array for a kernel's output, reused from the CPU
 * backend's pool when possible.
 *
 * @param size Element count.
 * @returns The array.
 */
export function cpuAllocF32(size: number): Float32Array {
  return cpuBackend.allocArray("float32", size) as Float32Array;
}

/**
 * A float32 array for a kernel output whose every element the kernel writes:
 * reused from the pool without zeroing, so its contents are arbitrary.
 *
 * @param size Element count.
 * @returns The array.
 */
export function cpuAllocF32Overwritten(size: number): Float32Array {
  return cpuBackend.allocArray("float32", size, false) as Float32Array;
}

/**
 * Wraps a typed array as a kernel output (no copy).
 *
 * @param data The elements.
 * @param shape The shape.
 * @returns The kernel output.
 */
export function cpuOutput(data: TypedArray, shape: readonly number[]): KernelOutput {
  return { storage: cpuBackend.wrap(data), shape: [...shape] };
}
