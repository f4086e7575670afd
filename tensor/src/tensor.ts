/**
 * The `Tensor` class: a strided view on backend storage plus autograd
 * bookkeeping. Methods are one-line delegations to op functions.
 *
 * @module
 */
import type { Backend, Storage, TensorInfo } from "./backend.ts";
import { backendByName, getBackend } from "./backend.ts";
import type { DType, TypedArray } from "./dtype.ts";
import { allocArray, bytesPerElement } from "./dtype.ts";
import { BackendError, fmtShape } from "./errors.ts";
import { isContiguous, sizeOf, stridesOf } from "./shape.ts";
import { getGradEngine, type GradHook, type Node } from "./autodiff.ts";
import { formatTensor } from "./format.ts";
import type * as A from "./ops/arith.ts";
import type * as C from "./ops/compare.ts";
import type * as M from "./ops/movement.ts";
import type * as R from "./ops/reduce.ts";
import type * as L from "./ops/matmul.ts";
import type * as I from "./ops/inplace.ts";
import type * as E from "./ops/elementwise/mod.ts";
import type * as Red from "./ops/reduction/mod.ts";
import type * as S from "./ops/shape/mod.ts";
import type { TensorLike } from "./ops/define.ts";

/**
 * The op functions behind Tensor's methods. Filled by `installTensorOps` when
 * the package entry loads, so that this module imports no op module at run
 * time (ops import Tensor; a static cycle would make evaluation order fragile).
 */
export type TensorOps =
  & typeof A
  & typeof C
  & typeof M
  & typeof R
  & typeof L
  & typeof I
  & typeof E
  & typeof Red
  & typeof S;
const ops = {} as TensorOps;

/**
 * Installs op functions behind Tensor's methods (done by the package entry).
 *
 * @param table Op functions by name.
 * @example
 * ```ts
 * import { installTensorOps, add } from "@dendrite/tensor";
 * installTensorOps({ add });
 * ```
 */
export function installTensorOps(table: Partial<TensorOps>): void {
  Object.assign(ops, table);
}

import { AsyncLocalStorage } from "node:async_hooks";

let nextId = 0;
/** The tidy scope the current (sync or async) code runs in. */
const scopeStore = new AsyncLocalStorage<Set<Tensor>>();
const live = new Map<string, { tensors: number }>();
/**
 * Per-storage bookkeeping that does not reference the storage, so that the
 * garbage collector can reclaim a CPU storage's memory as soon as its tensors
 * are unreachable, even in a long synchronous loop in which finalization
 * callbacks cannot run. (Holding the storage in the finalizer, strongly or
 * through a WeakRef, kept every storage alive until the loop yielded.)
 */
interface Cell {
  /** Live tensors viewing the storage. */
  refs: number;
  /** Set once the storage was freed or its memory accounted as reclaimed. */
  done: boolean;
}

/** What the finalizer keeps for a tensor. */
interface Held {
  cell: Cell;
  backend: Backend;
  dtype: DType;
  size: number;
  /** Only for backends that must free explicitly (GPU buffers return to a pool). */
  strong?: Storage;
}

const cells = new WeakMap<Storage, Cell>();

const finalizer = new FinalizationRegistry<Held>((held) => {
  const c = live.get(held.backend.name);
  if (c) c.tensors--;
  if (held.strong) {
    releaseStorage(held.strong);
    return;
  }
  if (--held.cell.refs === 0 && !held.cell.done) {
    held.cell.done = true;
    held.backend.forget?.(held.dtype, held.size);
  }
});

function releaseStorage(s: Storage): void {
  const cell = cells.get(s);
  if (cell) cell.refs--;
  if (--s.refs === 0 && !(cell?.done)) {
    if (cell) cell.done = true;
    s.backend.free(s);
  }
}

/** Options accepted by `backward()`. */
export interface BackwardOptions {
  /** Keep the graph so that `backward()` can run through it again. */
  retainGraph?: boolean;
  /** Record the backward computation so that gradients are differentiable. */
  createGraph?: boolean;
}

/**
 * An n-dimensional array of `float32`, `int32` or `bool` values on a backend,
 * with optional gradient tracking.
 *
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * const t = tensor([[1, 2], [3, 4]]);
 * console.assert(t.shape.join() === "2,2" && t.dtype === "float32");
 * ```
 */
export class Tensor implements TensorInfo {
  /** A unique id, for debugging. */
  readonly id: number;
  /** The memory this tensor views. */
  readonly storage: Storage;
  /** Sizes per axis. */
  readonly shape: readonly number[];
  /** Element strides per axis. */
  readonly strides: readonly number[];
  /** Element offset of the first element in the storage. */
  readonly offset: number;
  /** Element type. */
  readonly dtype: DType;
  /** Whether gradients flow to this tensor. */
  requiresGrad = false;
  /** Accumulated gradient (leaves, or tensors that called `retainGrad()`). */
  grad: Tensor | null = null;
  /** The graph node that produced this tensor, or null for a leaf. */
  gradFn: Node | null = null;
  /** Hooks on a leaf's gradient (non-leaf hooks live on `gradFn`). */
  leafHooks: GradHook[] = [];
  #disposed = false;

  /**
   * Wraps a storage view. Use `tensor()` and the creation functions instead.
   *
   * @param storage The memory.
   * @param shape Sizes per axis.
   * @param strides Strides per axis (default: row-major).
   * @param offset Element offset (default 0).
   */
  constructor(
    storage: Storage,
    shape: readonly number[],
    strides?: readonly number[],
    offset = 0,
  ) {
    this.id = nextId++;
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : stridesOf(shape));
    this.offset = offset;
    this.dtype = storage.dtype;
    storage.refs++;
    const name = storage.backend.name;
    let c = live.get(name);
    if (!c) live.set(name, c = { tensors: 0 });
    c.tensors++;
    const gcManaged = storage.backend.readSync !== undefined;
    let cell = cells.get(storage);
    if (!cell) cells.set(storage, cell = { refs: 0, done: false });
    cell.refs++;
    const held: Held = { cell, backend: storage.backend, dtype: storage.dtype, size: storage.size };
    if (!gcManaged) held.strong = storage;
    finalizer.register(this, held, this);
    scopeStore.getStore()?.add(this);
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** Number of axes. */
  get ndim(): number {
    return this.shape.length;
  }

  /** The backend holding the data. */
  get backend(): Backend {
    return this.storage.backend;
  }

  /** True when the tensor was created by the user rather than by a recorded op. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** True after `dispose()`. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** True when elements are laid out row-major without gaps. */
  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /**
   * Releases this tensor's hold on its storage; the memory is freed when no
   * view uses it. Using a disposed tensor throws.
   *
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * const t = tensor([1, 2]);
   * t.dispose();
   * console.assert(t.isDisposed);
   * ```
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    finalizer.unregister(this);
    const c = live.get(this.storage.backend.name);
    if (c) c.tensors--;
    releaseStorage(this.storage);
    this.gradFn = null;
  }

  /**
   * Throws when the tensor was disposed.
   *
   * @param op The op name for the message.
   */
  assertAlive(op: string): void {
    if (this.#disposed) {
      throw new BackendError(
        `Cannot use a disposed tensor (shape ${fmtShape(this.shape)}) in ${op}()`,
      );
    }
  }

  /**
   * Reads the elements in row-major order.
   *
   * @returns A fresh typed array (`Float32Array`, `Int32Array`, or `Uint8Array` for bool).
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * const d = await tensor([[1, 2], [3, 4]]).transpose(0, 1).data();
   * console.assert(d.join() === "1,3,2,4");
   * ```
   */
  async data(): Promise<TypedArray> {
    this.assertAlive("data");
    const all = await this.backend.read(this.storage);
    return gatherView(all, this);
  }

  /**
   * Reads the elements synchronously (CPU backend only).
   *
   * @returns A fresh typed array in row-major order.
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * console.assert(tensor([1, 2]).dataSync()[1] === 2);
   * ```
   */
  dataSync(): TypedArray {
    this.assertAlive("dataSync");
    const b = this.backend;
    if (!b.readSync) {
      throw new BackendError(
        `Cannot read a tensor synchronously in dataSync() on backend "${b.name}": use await t.data()`,
      );
    }
    return gatherView(b.readSync(this.storage), this);
  }

  /**
   * Reads the elements as nested arrays (booleans for bool tensors).
   *
   * @returns Nested arrays, or a number for a 0-d tensor.
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * console.assert(JSON.stringify(await tensor([[1, 2]]).array()) === "[[1,2]]");
   * ```
   */
  async array(): Promise<NestedArray> {
    return nest(await this.data(), this.shape, this.dtype);
  }

  /**
   * Reads the elements as nested arrays synchronously (CPU backend only).
   *
   * @returns Nested arrays, or a number for a 0-d tensor.
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * console.assert(JSON.stringify(tensor([[1, 2]]).arraySync()) === "[[1,2]]");
   * ```
   */
  arraySync(): NestedArray {
    return nest(this.dataSync(), this.shape, this.dtype);
  }

  /**
   * Reads the single value of a one-element tensor.
   *
   * @returns The value (a boolean for bool tensors).
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * console.assert(await tensor([[5]]).item() === 5);
   * ```
   */
  async item(): Promise<number | boolean> {
    this.checkItem();
    const v = (await this.data())[0];
    return this.dtype === "bool" ? v !== 0 : v;
  }

  /**
   * Reads the single value synchronously (CPU backend only).
   *
   * @returns The value.
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * console.assert(tensor(3).itemSync() === 3);
   * ```
   */
  itemSync(): number | boolean {
    this.checkItem();
    const v = this.dataSync()[0];
    return this.dtype === "bool" ? v !== 0 : v;
  }

  /** Throws unless the tensor has exactly one element. */
  private checkItem(): void {
    if (this.size !== 1) {
      throw new RangeError(
        `Cannot convert a tensor of shape ${
          fmtShape(this.shape)
        } to a number in item(): it has ${this.size} elements, expected 1`,
      );
    }
  }

  /**
   * Prints the tensor like PyTorch: `tensor([[1., 2.], [3., 4.]])`.
   *
   * @returns The printed form (values only on backends that can read synchronously).
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * console.assert(tensor([1, 2]).toString() === "tensor([1., 2.])");
   * ```
   */
  toString(): string {
    if (this.#disposed) return `tensor(<disposed>, shape=${fmtShape(this.shape)})`;
    if (!this.backend.readSync) {
      return `tensor(<${this.backend.name}>, shape=${fmtShape(this.shape)}, dtype=${this.dtype})`;
    }
    return formatTensor(this.dataSync(), this.shape, this.dtype, {
      requiresGrad: this.requiresGrad,
      gradFn: this.gradFn?.name,
    });
  }

  /**
   * Shows the printed form in `console.log` under Deno.
   *
   * @returns The printed tensor.
   */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /**
   * Copies the tensor to another backend (a no-op when already there).
   *
   * @param backend Backend name.
   * @returns A tensor on `backend` (not tracked by autograd across the move
   * unless `requiresGrad` is set on the result).
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * console.assert((await tensor([1]).to("cpu")).backend.name === "cpu");
   * ```
   */
  async to(backend: string): Promise<Tensor> {
    if (backend === this.backend.name) return this;
    const target = backendByName(backend);
    const data = await this.data();
    return new Tensor(target.fromArray(data), this.shape);
  }

  /**
   * Runs the backward sweep from this tensor, accumulating `.grad` on the
   * leaves. Needs `@dendrite/autograd` to be imported (the root module does).
   *
   * @param grad Upstream gradient; required for tensors with more than one element.
   * @param options `retainGraph`, `createGraph`.
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * import "@dendrite/autograd";
   * const x = tensor([1, 2, 3], { requiresGrad: true });
   * x.mul(x).sum().backward();
   * console.assert(x.grad!.dataSync().join() === "2,4,6");
   * ```
   */
  backward(grad?: Tensor, options: BackwardOptions = {}): void {
    const e = getGradEngine();
    if (!e) {
      throw new BackendError(
        'Cannot run backward(): no gradient engine is installed; import "@dendrite/autograd" (the root module does)',
      );
    }
    e.backward(this, grad, options);
  }

  /**
   * Registers a hook called with this tensor's gradient during backward; the
   * hook may return a replacement gradient.
   *
   * @param hook The hook.
   * @returns A function that removes the hook.
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * import "@dendrite/autograd";
   * const x = tensor([1, 2], { requiresGrad: true });
   * x.registerHook((g) => g.mul(0));
   * x.sum().backward();
   * console.assert(x.grad!.dataSync().join() === "0,0");
   * ```
   */
  registerHook(hook: GradHook): () => void {
    if (!this.requiresGrad) {
      throw new RangeError(
        "Cannot register a hook in registerHook() on a tensor that does not require grad",
      );
    }
    const list = this.gradFn ? this.gradFn.hooks : this.leafHooks;
    list.push(hook);
    return () => {
      const i = list.indexOf(hook);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /**
   * Keeps `.grad` on a non-leaf tensor after backward.
   *
   * @returns This tensor.
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * import "@dendrite/autograd";
   * const x = tensor([1, 2], { requiresGrad: true });
   * const y = x.mul(2).retainGrad();
   * y.sum().backward();
   * console.assert(y.grad!.dataSync().join() === "1,1");
   * ```
   */
  retainGrad(): this {
    if (this.gradFn) this.gradFn.retained = new WeakRef(this);
    return this;
  }

  /**
   * Sets `requiresGrad` in place (leaves only) and returns the tensor.
   *
   * @param on Whether gradients should flow to this tensor (default true).
   * @returns This tensor.
   * @example
   * ```ts
   * import { zeros } from "@dendrite/tensor";
   * console.assert(zeros([2]).requiresGrad_().requiresGrad);
   * ```
   */
  requiresGrad_(on = true): this {
    if (!this.isLeaf && !on) {
      throw new RangeError(
        "Cannot set requiresGrad = false on a non-leaf tensor in requiresGrad_(): use detach()",
      );
    }
    if (on && this.dtype !== "float32") {
      throw new RangeError(
        `Cannot set requiresGrad on a ${this.dtype} tensor in requiresGrad_(): only float32 tensors can require grad`,
      );
    }
    this.requiresGrad = on;
    return this;
  }

  /**
   * Returns a tensor sharing this one's data but cut from the graph.
   *
   * @returns A leaf view that does not require grad.
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * const x = tensor([1], { requiresGrad: true });
   * console.assert(!x.detach().requiresGrad);
   * ```
   */
  detach(): Tensor {
    this.assertAlive("detach");
    return new Tensor(this.storage, this.shape, this.strides, this.offset);
  }

  /**
   * Clears `.grad`.
   *
   * @example
   * ```ts
   * import { tensor } from "@dendrite/tensor";
   * const x = tensor([1], { requiresGrad: true });
   * x.zeroGrad();
   * console.assert(x.grad === null);
   * ```
   */
  zeroGrad(): void {
    this.grad = null;
  }

  // ---- Delegations to op functions (see each function for docs) ----

  /** `this + b`; see {@link A.add}. @param b Other operand. @returns The sum. */
  add(b: TensorLike): Tensor {
    return ops.add(this, b);
  }
  /** `this - b`; see {@link A.sub}. @param b Other operand. @returns The difference. */
  sub(b: TensorLike): Tensor {
    return ops.sub(this, b);
  }
  /** `this * b`; see {@link A.mul}. @param b Other operand. @returns The product. */
  mul(b: TensorLike): Tensor {
    return ops.mul(this, b);
  }
  /** `this / b`; see {@link A.div}. @param b Other operand. @returns The quotient. */
  div(b: TensorLike): Tensor {
    return ops.div(this, b);
  }
  /** `this ** b`; see {@link A.pow}. @param b Exponent. @returns The power. */
  pow(b: TensorLike): Tensor {
    return ops.pow(this, b);
  }
  /** `b - this`; see {@link A.rsub}. @param b Other operand. @returns The difference. */
  rsub(b: TensorLike): Tensor {
    return ops.rsub(this, b);
  }
  /** `b / this`; see {@link A.rdiv}. @param b Other operand. @returns The quotient. */
  rdiv(b: TensorLike): Tensor {
    return ops.rdiv(this, b);
  }
  /** Element-wise maximum; see {@link A.maximum}. @param b Other operand. @returns The maxima. */
  maximum(b: TensorLike): Tensor {
    return ops.maximum(this, b);
  }
  /** Element-wise minimum; see {@link A.minimum}. @param b Other operand. @returns The minima. */
  minimum(b: TensorLike): Tensor {
    return ops.minimum(this, b);
  }
  /** `-this`; see {@link A.neg}. @returns The negation. */
  neg(): Tensor {
    return ops.neg(this);
  }
  /** `e^this`; see {@link A.exp}. @returns The exponential. */
  exp(): Tensor {
    return ops.exp(this);
  }
  /** Natural log; see {@link A.log}. @returns The logarithm. */
  log(): Tensor {
    return ops.log(this);
  }
  /** Square root; see {@link A.sqrt}. @returns The root. */
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  /** `this * this`; see {@link A.square}. @returns The square. */
  square(): Tensor {
    return ops.square(this);
  }
  /** `this == b`; see {@link C.eq}. @param b Other operand. @returns A bool tensor. */
  eq(b: TensorLike): Tensor {
    return ops.eq(this, b);
  }
  /** `this != b`; see {@link C.ne}. @param b Other operand. @returns A bool tensor. */
  ne(b: TensorLike): Tensor {
    return ops.ne(this, b);
  }
  /** `this < b`; see {@link C.lt}. @param b Other operand. @returns A bool tensor. */
  lt(b: TensorLike): Tensor {
    return ops.lt(this, b);
  }
  /** `this <= b`; see {@link C.le}. @param b Other operand. @returns A bool tensor. */
  le(b: TensorLike): Tensor {
    return ops.le(this, b);
  }
  /** `this > b`; see {@link C.gt}. @param b Other operand. @returns A bool tensor. */
  gt(b: TensorLike): Tensor {
    return ops.gt(this, b);
  }
  /** `this >= b`; see {@link C.ge}. @param b Other operand. @returns A bool tensor. */
  ge(b: TensorLike): Tensor {
    return ops.ge(this, b);
  }
  /** Logical and; see {@link C.logicalAnd}. @param b Other operand. @returns A bool tensor. */
  logicalAnd(b: TensorLike): Tensor {
    return ops.logicalAnd(this, b);
  }
  /** Logical or; see {@link C.logicalOr}. @param b Other operand. @returns A bool tensor. */
  logicalOr(b: TensorLike): Tensor {
    return ops.logicalOr(this, b);
  }
  /** Logical not; see {@link C.logicalNot}. @returns A bool tensor. */
  logicalNot(): Tensor {
    return ops.logicalNot(this);
  }
  /** Sum; see {@link R.sum}. @param axes Axes. @param options `keepDim`. @returns The sums. */
  sum(axes?: number | readonly number[], options?: R.ReduceOptions): Tensor {
    return ops.sum(this, axes, options);
  }
  /** Mean; see {@link R.mean}. @param axes Axes. @param options `keepDim`. @returns The means. */
  mean(axes?: number | readonly number[], options?: R.ReduceOptions): Tensor {
    return ops.mean(this, axes, options);
  }
  /** Product; see {@link R.prod}. @param axes Axes. @param options `keepDim`. @returns The products. */
  prod(axes?: number | readonly number[], options?: R.ReduceOptions): Tensor {
    return ops.prod(this, axes, options);
  }
  /** Maximum; see {@link R.max}. @param axes Axes. @param options `keepDim`. @returns The maxima. */
  max(axes?: number | readonly number[], options?: R.ReduceOptions): Tensor {
    return ops.max(this, axes, options);
  }
  /** Minimum; see {@link R.min}. @param axes Axes. @param options `keepDim`. @returns The minima. */
  min(axes?: number | readonly number[], options?: R.ReduceOptions): Tensor {
    return ops.min(this, axes, options);
  }
  /** Index of the maximum; see {@link R.argmax}. @param axis Axis. @param options `keepDim`. @returns int32 indices. */
  argmax(axis?: number, options?: R.ReduceOptions): Tensor {
    return ops.argmax(this, axis, options);
  }
  /** Index of the minimum; see {@link R.argmin}. @param axis Axis. @param options `keepDim`. @returns int32 indices. */
  argmin(axis?: number, options?: R.ReduceOptions): Tensor {
    return ops.argmin(this, axis, options);
  }
  /** New shape; see {@link M.reshape}. @param shape The shape. @returns The reshaped tensor. */
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  /** New shape without copying; see {@link M.viewAs}. @param shape The shape. @returns A view. */
  view(shape: readonly number[]): Tensor {
    return ops.viewAs(this, shape);
  }
  /** Reorders axes; see {@link M.permute}. @param axes The permutation. @returns A view. */
  permute(axes: readonly number[]): Tensor {
    return ops.permute(this, axes);
  }
  /** Swaps two axes; see {@link M.transpose}. @param a First axis. @param b Second axis. @returns A view. */
  transpose(a?: number, b?: number): Tensor {
    return ops.transpose(this, a, b);
  }
  /** Broadcast view; see {@link M.expand}. @param shape Target shape. @returns A view. */
  expand(shape: readonly number[]): Tensor {
    return ops.expand(this, shape);
  }
  /** Flattens axes; see {@link M.flatten}. @param start First axis. @param end Last axis. @returns The tensor. */
  flatten(start?: number, end?: number): Tensor {
    return ops.flatten(this, start, end);
  }
  /** Removes size-1 axes; see {@link M.squeeze}. @param axes Axes. @returns A view. */
  squeeze(axes?: number | readonly number[]): Tensor {
    return ops.squeeze(this, axes);
  }
  /** Inserts a size-1 axis; see {@link M.unsqueeze}. @param axis Position. @returns A view. */
  unsqueeze(axis: number): Tensor {
    return ops.unsqueeze(this, axis);
  }
  /** Contiguous copy if needed; see {@link M.contiguous}. @returns A contiguous tensor. */
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  /** A copy in new memory (gradients flow through); see {@link M.clone}. @returns The copy. */
  clone(): Tensor {
    return ops.clone(this);
  }
  /** Python's `%` (the divisor's sign); see {@link E.remainder}. @param b Divisor. @returns Remainders. */
  remainder(b: Tensor | number): Tensor {
    return ops.remainder(this, b);
  }
  /** C's `fmod` (the dividend's sign); see {@link E.fmod}. @param b Divisor. @returns Remainders. */
  fmod(b: Tensor | number): Tensor {
    return ops.fmod(this, b);
  }
  /** Python's `//`; see {@link E.floorDivide}. @param b Divisor. @returns Floored quotients. */
  floorDivide(b: Tensor | number): Tensor {
    return ops.floorDivide(this, b);
  }
  /** Four-quadrant arctangent of this / b; see {@link E.atan2}. @param b The x coordinates. @returns Angles. */
  atan2(b: Tensor | number): Tensor {
    return ops.atan2(this, b);
  }
  /**
   * Interpolates towards `end`; see {@link E.lerp}.
   * @param end The end.
   * @param weight A number or tensor.
   * @returns The interpolation.
   */
  lerp(end: Tensor, weight: number | Tensor): Tensor {
    return ops.lerp(this, end, weight);
  }
  /**
   * Elementwise closeness; see {@link E.isclose}.
   * @param other The other tensor.
   * @param options `rtol`, `atol`, `equalNan`.
   * @returns A bool tensor.
   */
  isclose(
    other: Tensor,
    options: { rtol?: number; atol?: number; equalNan?: boolean } = {},
  ): Tensor {
    return ops.isclose(this, other, options);
  }
  /**
   * A diagonal over two axes; see {@link S.diagonal}.
   * @param offset Which diagonal (0).
   * @param axis1 First axis (0).
   * @param axis2 Second axis (1).
   * @returns The diagonal as the last axis.
   */
  diagonal(offset = 0, axis1 = 0, axis2 = 1): Tensor {
    return ops.diagonal(this, offset, axis1, axis2);
  }
  /** `torch.diag`; see {@link S.diag}. @param offset Which diagonal (0). @returns Matrix or diagonal. */
  diag(offset = 0): Tensor {
    return ops.diag(this, offset);
  }
  /** Sum of the main diagonal; see {@link S.trace}. @returns A 0-D tensor. */
  trace(): Tensor {
    return ops.trace(this);
  }
  /**
   * Repeats each element in place; see {@link S.repeatInterleave}.
   * @param repeats Copies of each element.
   * @param axis The axis (default: flatten first).
   * @returns The repeated tensor.
   */
  repeatInterleave(repeats: number, axis?: number): Tensor {
    return ops.repeatInterleave(this, repeats, axis);
  }
  /** Converts dtype; see {@link M.cast}. @param dtype Target dtype. @returns The converted tensor. */
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  /** Python-style slicing; see {@link M.slice}. @param specs Per-axis specs or a string. @returns A view. */
  slice(specs: readonly M.SliceSpec[] | string): Tensor {
    return ops.slice(this, specs);
  }
  /** Narrows an axis; see {@link M.narrow}. @param axis Axis. @param start Start. @param length Length. @returns A view. */
  narrow(axis: number, start: number, length: number): Tensor {
    return ops.narrow(this, axis, start, length);
  }
  /** Matrix product; see {@link L.matmul}. @param b Right operand. @returns The product. */
  matmul(b: Tensor): Tensor {
    return ops.matmul(this, b);
  }
  /** In-place copy; see {@link I.copy_}. @param src Values. @returns This tensor. */
  copy_(src: TensorLike): this {
    ops.copy_(this, src);
    return this;
  }
  /** In-place add; see {@link I.add_}. @param b Operand. @returns This tensor. */
  add_(b: TensorLike): this {
    ops.add_(this, b);
    return this;
  }
  /** In-place subtract; see {@link I.sub_}. @param b Operand. @returns This tensor. */
  sub_(b: TensorLike): this {
    ops.sub_(this, b);
    return this;
  }
  /** In-place multiply; see {@link I.mul_}. @param b Operand. @returns This tensor. */
  mul_(b: TensorLike): this {
    ops.mul_(this, b);
    return this;
  }
  /** In-place divide; see {@link I.div_}. @param b Operand. @returns This tensor. */
  div_(b: TensorLike): this {
    ops.div_(this, b);
    return this;
  }
  /** In-place fill; see {@link I.fill_}. @param value Value. @returns This tensor. */
  fill_(value: number | boolean): this {
    ops.fill_(this, value);
    return this;
  }
  /** In-place zero; see {@link I.zero_}. @returns This tensor. */
  zero_(): this {
    ops.zero_(this);
    return this;
  }
  /** Element-wise abs; see {@link E.abs}. @returns The result. */
  abs(): Tensor {
    return ops.abs(this);
  }
  /** Element-wise sign; see {@link E.sign}. @returns The result. */
  sign(): Tensor {
    return ops.sign(this);
  }
  /** Element-wise log1p; see {@link E.log1p}. @returns The result. */
  log1p(): Tensor {
    return ops.log1p(this);
  }
  /** Element-wise expm1; see {@link E.expm1}. @returns The result. */
  expm1(): Tensor {
    return ops.expm1(this);
  }
  /** Element-wise rsqrt; see {@link E.rsqrt}. @returns The result. */
  rsqrt(): Tensor {
    return ops.rsqrt(this);
  }
  /** Element-wise reciprocal; see {@link E.reciprocal}. @returns The result. */
  reciprocal(): Tensor {
    return ops.reciprocal(this);
  }
  /** Element-wise sin; see {@link E.sin}. @returns The result. */
  sin(): Tensor {
    return ops.sin(this);
  }
  /** Element-wise cos; see {@link E.cos}. @returns The result. */
  cos(): Tensor {
    return ops.cos(this);
  }
  /** Element-wise tanh; see {@link E.tanh}. @returns The result. */
  tanh(): Tensor {
    return ops.tanh(this);
  }
  /** Element-wise erf; see {@link E.erf}. @returns The result. */
  erf(): Tensor {
    return ops.erf(this);
  }
  /** Element-wise floor; see {@link E.floor}. @returns The result. */
  floor(): Tensor {
    return ops.floor(this);
  }
  /** Element-wise ceil; see {@link E.ceil}. @returns The result. */
  ceil(): Tensor {
    return ops.ceil(this);
  }
  /** Element-wise round; see {@link E.round}. @returns The result. */
  round(): Tensor {
    return ops.round(this);
  }
  /** Element-wise trunc; see {@link E.trunc}. @returns The result. */
  trunc(): Tensor {
    return ops.trunc(this);
  }
  /** Element-wise NaN test; see {@link E.isNan}. @returns The result. */
  isNan(): Tensor {
    return ops.isNan(this);
  }
  /** Element-wise finite test; see {@link E.isFinite}. @returns The result. */
  isFinite(): Tensor {
    return ops.isFinite(this);
  }
  /** Element-wise sigmoid; see {@link E.sigmoid}. @returns The result. */
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  /** Element-wise relu; see {@link E.relu}. @returns The result. */
  relu(): Tensor {
    return ops.relu(this);
  }
  /** Element-wise relu6; see {@link E.relu6}. @returns The result. */
  relu6(): Tensor {
    return ops.relu6(this);
  }
  /** Element-wise selu; see {@link E.selu}. @returns The result. */
  selu(): Tensor {
    return ops.selu(this);
  }
  /** Element-wise silu; see {@link E.silu}. @returns The result. */
  silu(): Tensor {
    return ops.silu(this);
  }
  /** Element-wise mish; see {@link E.mish}. @returns The result. */
  mish(): Tensor {
    return ops.mish(this);
  }
  /** Element-wise softsign; see {@link E.softsign}. @returns The result. */
  softsign(): Tensor {
    return ops.softsign(this);
  }
  /** Element-wise logSigmoid; see {@link E.logSigmoid}. @returns The result. */
  logSigmoid(): Tensor {
    return ops.logSigmoid(this);
  }
  /** Element-wise hardSigmoid; see {@link E.hardSigmoid}. @returns The result. */
  hardSigmoid(): Tensor {
    return ops.hardSigmoid(this);
  }
  /** Element-wise hardSwish; see {@link E.hardSwish}. @returns The result. */
  hardSwish(): Tensor {
    return ops.hardSwish(this);
  }
  /** Element-wise step; see {@link E.step}. @returns The result. */
  step(): Tensor {
    return ops.step(this);
  }
  /** Clamps to a range; see {@link E.clamp}. @param options `min`, `max`. @returns The result. */
  clamp(options: { min?: number; max?: number }): Tensor {
    return ops.clamp(this, options);
  }
  /** Leaky ReLU; see {@link E.leakyRelu}. @param options `negativeSlope`. @returns The result. */
  leakyRelu(options?: { negativeSlope?: number }): Tensor {
    return ops.leakyRelu(this, options);
  }
  /** ELU; see {@link E.elu}. @param options `alpha`. @returns The result. */
  elu(options?: { alpha?: number }): Tensor {
    return ops.elu(this, options);
  }
  /** GELU; see {@link E.gelu}. @param options `approximate`. @returns The result. */
  gelu(options?: { approximate?: "none" | "tanh" }): Tensor {
    return ops.gelu(this, options);
  }
  /** Softplus; see {@link E.softplus}. @param options `beta`, `threshold`. @returns The result. */
  softplus(options?: { beta?: number; threshold?: number }): Tensor {
    return ops.softplus(this, options);
  }
  /** Hard tanh; see {@link E.hardtanh}. @param options `minVal`, `maxVal`. @returns The result. */
  hardtanh(options?: { minVal?: number; maxVal?: number }): Tensor {
    return ops.hardtanh(this, options);
  }
  /** Variance; see {@link Red.variance}. @param axes Axes. @param options Options. @returns The variances. */
  variance(axes?: number | readonly number[], options?: Red.VarianceOptions): Tensor {
    return ops.variance(this, axes, options);
  }
  /** Standard deviation; see {@link Red.std}. @param axes Axes. @param options Options. @returns The deviations. */
  std(axes?: number | readonly number[], options?: Red.VarianceOptions): Tensor {
    return ops.std(this, axes, options);
  }
  /** Log-sum-exp; see {@link Red.logsumexp}. @param axes Axes. @param options `keepDim`. @returns The result. */
  logsumexp(axes?: number | readonly number[], options?: R.ReduceOptions): Tensor {
    return ops.logsumexp(this, axes, options);
  }
  /** Vector norm; see {@link Red.norm}. @param options `p`, `axes`, `keepDim`. @returns The norms. */
  norm(options?: Red.NormOptions): Tensor {
    return ops.norm(this, options);
  }
  /** Maximum over axes; see {@link Red.amax}. @param axes Axes. @param options `keepDim`. @returns The maxima. */
  amax(axes?: number | readonly number[], options?: R.ReduceOptions): Tensor {
    return ops.amax(this, axes, options);
  }
  /** Minimum over axes; see {@link Red.amin}. @param axes Axes. @param options `keepDim`. @returns The minima. */
  amin(axes?: number | readonly number[], options?: R.ReduceOptions): Tensor {
    return ops.amin(this, axes, options);
  }
  /** All non-zero; see {@link Red.all}. @param axes Axes. @param options `keepDim`. @returns A bool tensor. */
  all(axes?: number | readonly number[], options?: R.ReduceOptions): Tensor {
    return ops.all(this, axes, options);
  }
  /** Any non-zero; see {@link Red.any}. @param axes Axes. @param options `keepDim`. @returns A bool tensor. */
  any(axes?: number | readonly number[], options?: R.ReduceOptions): Tensor {
    return ops.any(this, axes, options);
  }
  /** Softmax; see {@link Red.softmax}. @param axis Axis. @returns Probabilities. */
  softmax(axis?: number): Tensor {
    return ops.softmax(this, axis);
  }
  /** Log-softmax; see {@link Red.logSoftmax}. @param axis Axis. @returns Log-probabilities. */
  logSoftmax(axis?: number): Tensor {
    return ops.logSoftmax(this, axis);
  }
  /** Cumulative sum; see {@link Red.cumsum}. @param axis Axis. @returns Running sums. */
  cumsum(axis: number): Tensor {
    return ops.cumsum(this, axis);
  }
  /** Cumulative product; see {@link Red.cumprod}. @param axis Axis. @returns Running products. */
  cumprod(axis: number): Tensor {
    return ops.cumprod(this, axis);
  }
  /**
   * Sorts along an axis (stable); see {@link Red.sort}.
   * @param axis Axis (default -1).
   * @param options `descending`.
   * @returns `{ values, indices }`.
   */
  sort(axis = -1, options: { descending?: boolean } = {}): Red.SortResult {
    return ops.sort(this, axis, options);
  }
  /**
   * Indices that sort along an axis; see {@link Red.argsort}.
   * @param axis Axis (default -1).
   * @param options `descending`.
   * @returns int32 indices.
   */
  argsort(axis = -1, options: { descending?: boolean } = {}): Tensor {
    return ops.argsort(this, axis, options);
  }
  /**
   * The k largest (or smallest) along an axis; see {@link Red.topk}.
   * @param k How many.
   * @param options `axis` (-1), `largest` (true).
   * @returns `{ values, indices }`.
   */
  topk(k: number, options: { axis?: number; largest?: boolean } = {}): Red.SortResult {
    return ops.topk(this, k, options);
  }
  /** Reverses axes; see {@link S.flip}. @param axes Axes. @returns A view. */
  flip(axes: number | readonly number[]): Tensor {
    return ops.flip(this, axes);
  }
  /** Rolls elements; see {@link S.roll}. @param shifts Shifts. @param axes Axes. @returns The result. */
  roll(shifts: number | readonly number[], axes?: number | readonly number[]): Tensor {
    return ops.roll(this, shifts, axes);
  }
  /** Repeats; see {@link S.repeat}. @param repeats Counts. @returns The result. */
  repeat(repeats: readonly number[]): Tensor {
    return ops.repeat(this, repeats);
  }
  /** Tiles; see {@link S.tile}. @param reps Counts. @returns The result. */
  tile(reps: readonly number[]): Tensor {
    return ops.tile(this, reps);
  }
  /** Lower triangle; see {@link S.tril}. @param diagonal Diagonal. @returns The result. */
  tril(diagonal?: number): Tensor {
    return ops.tril(this, diagonal);
  }
  /** Upper triangle; see {@link S.triu}. @param diagonal Diagonal. @returns The result. */
  triu(diagonal?: number): Tensor {
    return ops.triu(this, diagonal);
  }
  /** Fills where a mask is true; see {@link S.maskedFill}. @param mask Mask. @param value Value. @returns The result. */
  maskedFill(mask: Tensor, value: number | Tensor): Tensor {
    return ops.maskedFill(this, mask, value);
  }
  /** Pads trailing axes; see {@link S.pad}. @param pads Pads. @param options Mode and value. @returns The result. */
  pad(pads: readonly number[], options?: { mode?: S.PadMode; value?: number }): Tensor {
    return ops.pad(this, pads, options);
  }
  /** Gathers along an axis; see {@link S.gather}. @param axis Axis. @param index Indices. @returns The result. */
  gather(axis: number, index: Tensor): Tensor {
    return ops.gather(this, axis, index);
  }
  /** Selects entries; see {@link S.indexSelect}. @param axis Axis. @param index Indices. @returns The result. */
  indexSelect(axis: number, index: Tensor): Tensor {
    return ops.indexSelect(this, axis, index);
  }
  /** Advanced indexing; see {@link S.index}. @param indices Per-axis indices. @returns The result. */
  index(indices: readonly S.IndexSpec[]): Tensor {
    return ops.index(this, indices);
  }
  // ---- end of delegations ----
}

/** Nested arrays as returned by `array()`. */
export type NestedArray = number | boolean | NestedArray[];

/**
 * Counts live tensors per backend (created and neither disposed nor
 * garbage-collected).
 *
 * @param backend Backend name.
 * @returns The live tensor count.
 * @example
 * ```ts
 * import { liveTensors } from "@dendrite/tensor";
 * console.assert(liveTensors("cpu") >= 0);
 * ```
 */
export function liveTensors(backend: string): number {
  return live.get(backend)?.tensors ?? 0;
}

/** Copies a strided view out of a flat storage array into row-major order. */
export function gatherView(all: TypedArray, v: TensorInfo): TypedArray {
  const n = sizeOf(v.shape);
  if (isContiguous(v.shape, v.strides)) {
    const out = allocArray(v.dtype, n);
    out.set(all.subarray(v.offset, v.offset + n));
    return out;
  }
  const out = allocArray(v.dtype, n);
  const nd = v.shape.length;
  const idx = new Array<number>(nd).fill(0);
  let src = v.offset;
  for (let i = 0; i < n; i++) {
    out[i] = all[src];
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      src += v.strides[d];
      if (idx[d] < v.shape[d]) break;
      src -= v.strides[d] * v.shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

function nest(data: TypedArray, shape: readonly number[], dtype: DType): NestedArray {
  const conv = dtype === "bool" ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return conv(data[0]);
  const rec = (axis: number, off: number): NestedArray[] => {
    const n = shape[axis];
    const out: NestedArray[] = new Array(n);
    if (axis === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = conv(data[off + i]);
      return out;
    }
    const stride = sizeOf(shape.slice(axis + 1));
    for (let i = 0; i < n; i++) out[i] = rec(axis + 1, off + i * stride);
    return out;
  };
  return rec(0, 0);
}

/**
 * Bytes held by a tensor's view (not its whole storage).
 *
 * @param t The tensor.
 * @returns `size * bytesPerElement(dtype)`.
 * @example
 * ```ts
 * import { tensorBytes, zeros } from "@dendrite/tensor";
 * console.assert(tensorBytes(zeros([2, 2])) === 16);
 * ```
 */
export function tensorBytes(t: Tensor): number {
  return t.size * bytesPerElement(t.dtype);
}

/** Memory counters of one backend, with its live tensor count. */
export interface MemoryReport {
  /** Backend name. */
  backend: string;
  /** Tensors created and neither disposed nor garbage-collected. */
  tensors: number;
  /** Live storages (several tensors may view one). */
  buffers: number;
  /** Bytes held by live storages. */
  bytes: number;
  /** Bytes kept in the backend's reuse pool. */
  pooledBytes: number;
}

/**
 * Reports live tensors and memory of a backend (the current one by default).
 *
 * @param backend Backend name.
 * @returns The counters.
 * @example
 * ```ts
 * import { memory, zeros } from "@dendrite/tensor";
 * const before = memory().tensors;
 * const t = zeros([256]);
 * console.assert(memory().tensors === before + 1);
 * t.dispose();
 * console.assert(memory().tensors === before);
 * ```
 */
export function memory(backend?: string): MemoryReport {
  const b = backend ? backendByName(backend) : getBackend();
  return { backend: b.name, tensors: liveTensors(b.name), ...b.memory() };
}

function collect(value: unknown, out: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) { for (const v of value) collect(v, out, seen); }
  else if (value instanceof Map) { for (const v of value.values()) collect(v, out, seen); }
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, seen);
  }
}

/**
 * Runs `fn` and then disposes every tensor created inside it except those
 * it returns (in arrays, maps or plain objects too) and those passed to
 * {@link keep}. Works for async functions: the scope follows the async
 * context, so concurrent work outside `fn` is not affected. Gradients
 * created inside are disposed too; read or keep them before returning.
 *
 * @param fn The work.
 * @returns What `fn` returns.
 * @example
 * ```ts
 * import { memory, ones, tidy } from "@dendrite/tensor";
 * const before = memory().tensors;
 * const y = tidy(() => ones([4]).mul(2).add(1).sum());
 * console.assert(memory().tensors === before + 1 && y.itemSync() === 12);
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  const finish = (result: T): T => {
    const keepSet = new Set<Tensor>();
    collect(result, keepSet);
    for (const t of scope) if (!keepSet.has(t)) t.dispose();
    // Returned tensors belong to the enclosing scope, if any.
    const outer = scopeStore.getStore();
    if (outer) { for (const t of keepSet) if (scope.has(t)) outer.add(t); }
    return result;
  };
  const r = scopeStore.run(scope, fn);
  if (r instanceof Promise) return r.then((v) => finish(v as T)) as T;
  return finish(r);
}

/**
 * Exempts a tensor from disposal by the enclosing `tidy` (for state created
 * inside a scope, such as optimizer buffers).
 *
 * @param t The tensor.
 * @returns `t`.
 * @example
 * ```ts
 * import { keep, ones, tidy } from "@dendrite/tensor";
 * let kept = ones([1]);
 * tidy(() => { kept = keep(ones([2])); });
 * console.assert(!kept.isDisposed);
 * ```
 */
export function keep<T extends Tensor>(t: T): T {
  scopeStore.getStore()?.delete(t);
  return t;
}
