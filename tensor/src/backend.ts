/**
 * The backend interface every compute backend (cpu, webgpu) implements, the
 * kernel registry, and backend selection.
 *
 * Kernels receive and return {@link TensorInfo} records: storage plus a
 * strided view. Public ops validate their arguments before dispatch, so
 * kernels never see bad shapes.
 *
 * @module
 */
import type { DType, TypedArray } from "./dtype.ts";
import { BackendError } from "./errors.ts";

/** A block of memory owned by one backend, shared by the views on it. */
export interface Storage {
  /** The backend that owns this memory. */
  readonly backend: Backend;
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** Number of live tensors viewing this storage. */
  refs: number;
}

/** A strided view on a storage: what kernels read and write. */
export interface TensorInfo {
  /** The memory. */
  readonly storage: Storage;
  /** Sizes per axis. */
  readonly shape: readonly number[];
  /** Element strides per axis (may be 0 for broadcast axes, negative for flips). */
  readonly strides: readonly number[];
  /** Element offset of index `[0, ..., 0]` in the storage. */
  readonly offset: number;
  /** Element type. */
  readonly dtype: DType;
}

/** The result of a kernel: a fresh contiguous storage and its shape. */
export interface KernelOutput {
  /** The freshly allocated storage. */
  storage: Storage;
  /** Its shape (row-major, contiguous). */
  shape: number[];
}

/** An elementwise op as kernels see it: a CPU formula and a WGSL snippet. */
export interface ElementwiseSpec {
  /** Kernel name, e.g. `"Exp"`. */
  readonly name: string;
  /** Number of tensor inputs (1, 2 or 3). */
  readonly arity: number;
  /**
   * The CPU formula over numbers `(a, b, c, p0, p1)`; it must use only its
   * arguments, `Math` and the helpers of `cpu/prelude.ts` (`erfn`), since
   * the CPU backend inlines its source into a generated loop.
   */
  readonly cpu: (...args: number[]) => number;
  /** The WGSL expression over `a`, `b`, `c`, `p0`, `p1` (all `f32`). */
  readonly wgsl: string;
  /**
   * For a binary op applied to a tensor and a number: which operand is the
   * number, passed as `p0` (the tensor is input 0 either way).
   */
  readonly scalar?: "a" | "b";
}

/** Memory counters of one backend. */
export interface MemoryInfo {
  /** Live storages. */
  buffers: number;
  /** Bytes held by live storages. */
  bytes: number;
  /** Bytes kept in a reuse pool, if the backend pools. */
  pooledBytes: number;
}

/** The interface a compute backend implements. */
export interface Backend {
  /** Registry name, `"cpu"` or `"webgpu"`. */
  readonly name: string;
  /** Copies a typed array into a new storage. */
  fromArray(data: TypedArray): Storage;
  /** Reads a whole storage back. */
  read(storage: Storage): Promise<TypedArray>;
  /** Reads a whole storage synchronously, when the backend can. */
  readSync?(storage: Storage): TypedArray;
  /** Releases a storage whose refcount reached zero. */
  free(storage: Storage): void;
  /**
   * Adjusts the counters for a storage the garbage collector reclaimed
   * before it was freed (backends with GC-managed memory only).
   */
  forget?(dtype: DType, size: number): void;
  /** Memory counters. */
  memory(): MemoryInfo;
  /** Elementwise op with broadcasting over strided inputs. */
  elementwise(
    spec: ElementwiseSpec,
    inputs: TensorInfo[],
    outShape: readonly number[],
    outDtype: DType,
    params: readonly number[],
  ): KernelOutput;
  /** Copies a strided view into a fresh contiguous storage of `dtype`. */
  copy(x: TensorInfo, dtype: DType): KernelOutput;
}

/** A kernel implementation: inputs and attributes in, outputs out. */
// deno-lint-ignore no-explicit-any
export type KernelFn = (inputs: TensorInfo[], attrs: any) => KernelOutput[];

const backends = new Map<string, Backend>();
const kernels = new Map<string, Map<string, KernelFn>>();
let current: Backend | undefined;

/**
 * Registers a backend under its name.
 *
 * @param backend The backend.
 * @example
 * ```ts
 * import { getBackend, registerBackend } from "@dendrite/tensor";
 * registerBackend(getBackend()); // re-registering is allowed
 * ```
 */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

/**
 * Lists the registered backend names.
 *
 * @returns Names such as `["cpu", "webgpu"]`.
 * @example
 * ```ts
 * import { listBackends } from "@dendrite/tensor";
 * console.assert(listBackends().includes("cpu"));
 * ```
 */
export function listBackends(): string[] {
  return [...backends.keys()];
}

/**
 * Selects the backend that new tensors are created on.
 *
 * @param name `"cpu"` or `"webgpu"` (the latter once initialised).
 * @example
 * ```ts
 * import { getBackend, setBackend } from "@dendrite/tensor";
 * setBackend("cpu");
 * console.assert(getBackend().name === "cpu");
 * ```
 */
export function setBackend(name: string): void {
  const b = backends.get(name);
  if (!b) {
    throw new BackendError(
      `Cannot select backend "${name}" in setBackend(): registered backends are ${
        [...backends.keys()].map((k) => `"${k}"`).join(", ")
      }${name === "webgpu" ? " (initialise WebGPU first)" : ""}`,
    );
  }
  current = b;
}

/**
 * Returns the backend that new tensors are created on. The first call honours
 * the `DENDRITE_BACKEND` environment variable.
 *
 * @returns The current backend.
 * @example
 * ```ts
 * import { getBackend } from "@dendrite/tensor";
 * console.log(getBackend().name);
 * ```
 */
export function getBackend(): Backend {
  if (!current) {
    const env = readEnv("DENDRITE_BACKEND");
    if (env && !backends.has(env)) {
      throw new BackendError(
        `Cannot select backend "${env}" from DENDRITE_BACKEND: registered backends are ${
          [...backends.keys()].map((k) => `"${k}"`).join(", ")
        }${env === "webgpu" ? " (initialise WebGPU first)" : ""}`,
      );
    }
    setBackend(env || "cpu");
  }
  return current!;
}

/**
 * Returns a registered backend by name.
 *
 * @param name The backend name.
 * @returns The backend.
 * @example
 * ```ts
 * import { backendByName } from "@dendrite/tensor";
 * console.assert(backendByName("cpu").name === "cpu");
 * ```
 */
export function backendByName(name: string): Backend {
  const b = backends.get(name);
  if (!b) throw new BackendError(`Unknown backend "${name}"`);
  return b;
}

/**
 * Registers the kernel `name` for `backend`.
 *
 * @param name Kernel name, PascalCase (`"MatMul"`).
 * @param backend Backend name.
 * @param fn The implementation.
 * @example
 * ```ts
 * import { hasKernel } from "@dendrite/tensor";
 * console.assert(hasKernel("MatMul", "cpu"));
 * ```
 */
export function registerKernel(
  name: string,
  backend: string,
  fn: KernelFn,
): void {
  let m = kernels.get(name);
  if (!m) kernels.set(name, m = new Map());
  m.set(backend, fn);
}

/**
 * Tells whether a kernel is registered for a backend.
 *
 * @param name Kernel name.
 * @param backend Backend name.
 * @returns True when registered.
 * @example
 * ```ts
 * import { hasKernel } from "@dendrite/tensor";
 * console.assert(!hasKernel("NoSuchKernel", "cpu"));
 * ```
 */
export function hasKernel(name: string, backend: string): boolean {
  return kernels.get(name)?.has(backend) ?? false;
}

/**
 * Lists registered kernels and the backends that implement each.
 *
 * @returns A map from kernel name to backend names.
 * @example
 * ```ts
 * import { listKernels } from "@dendrite/tensor";
 * console.assert(listKernels().get("MatMul")?.includes("cpu"));
 * ```
 */
export function listKernels(): Map<string, string[]> {
  return new Map([...kernels].map(([k, m]) => [k, [...m.keys()]]));
}

/**
 * Runs kernel `name` on the backend that owns the inputs.
 *
 * @param name Kernel name.
 * @param backend The backend to run on.
 * @param inputs Tensor views.
 * @param attrs Kernel attributes.
 * @returns The kernel's outputs.
 * @example
 * ```ts
 * import { getBackend, runKernel, tensor } from "@dendrite/tensor";
 * const a = tensor([[1, 2], [3, 4]]);
 * const [out] = runKernel("MatMul", getBackend(), [a, a], {});
 * console.assert(out.shape.join() === "2,2");
 * ```
 */
export function runKernel(
  name: string,
  backend: Backend,
  inputs: TensorInfo[],
  // deno-lint-ignore no-explicit-any
  attrs: any,
): KernelOutput[] {
  const fn = kernels.get(name)?.get(backend.name);
  if (!fn) {
    throw new BackendError(
      `Cannot run kernel "${name}" on backend "${backend.name}": no kernel registered (registered on: ${
        [...(kernels.get(name)?.keys() ?? [])].join(", ") || "none"
      })`,
    );
  }
  return fn(inputs, attrs);
}

/**
 * Reads an environment variable when the permission is granted; undefined
 * otherwise.
 *
 * @param name Variable name.
 * @returns Its value, or undefined.
 * @example
 * ```ts
 * import { readEnv } from "@dendrite/tensor";
 * console.log(readEnv("HOME"));
 * ```
 */
export function readEnv(name: string): string | undefined {
  try {
    // deno-lint-ignore no-explicit-any
    const d = (globalThis as any).Deno;
    if (!d) return undefined;
    const st = d.permissions?.querySync?.({ name: "env", variable: name });
    if (st && st.state !== "granted") return undefined;
    return d.env.get(name);
  } catch {
    return undefined;
  }
}
