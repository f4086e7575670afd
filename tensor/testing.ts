/**
 * Test helpers shared by every Dendrite package: run a test on each backend,
 * compare tensors with tolerances, and load PyTorch-generated fixtures.
 *
 * ```ts
 * import { assertClose, testBackends } from "@dendrite/tensor/testing";
 * import { setBackend, tensor } from "@dendrite/tensor";
 * for (const b of testBackends()) {
 *   setBackend(b);
 *   assertClose(tensor([[1], [2]]).add(tensor([10, 20])), [[11, 21], [12, 22]]);
 * }
 * setBackend("cpu");
 * ```
 *
 * In a test file, `testOnBackends(name, fn)` registers one `Deno.test` per
 * backend.
 *
 * @module
 */
import { AssertionError } from "node:assert";
import { fromTypedArray, listBackends, setBackend, Tensor } from "./mod.ts";
import type { DType, NestedArray, TypedArray } from "./mod.ts";

/** Tolerances for {@link assertClose}. */
export interface CloseOptions {
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-4). */
  rtol?: number;
}

function flat(x: Tensor | NestedArray | TypedArray | readonly number[]): {
  data: ArrayLike<number>;
  shape?: readonly number[];
} {
  if (x instanceof Tensor) return { data: x.dataSync(), shape: x.shape };
  if (ArrayBuffer.isView(x)) return { data: x as TypedArray };
  const out: number[] = [];
  const shape: number[] = [];
  const walk = (v: NestedArray | readonly number[], depth: number) => {
    if (Array.isArray(v)) {
      if (shape.length === depth) shape.push(v.length);
      for (const e of v) walk(e, depth + 1);
    } else out.push(Number(v));
  };
  walk(x as NestedArray, 0);
  return { data: out, shape: Array.isArray(x) ? shape : [] };
}

/**
 * Asserts that `actual` and `expected` have the same shape (when both carry
 * one) and values within `atol + rtol·|expected|` (NaN equals NaN).
 *
 * @param actual A tensor (CPU) or values.
 * @param expected A tensor or (nested) values.
 * @param options `atol`, `rtol`.
 * @example
 * ```ts
 * import { assertClose } from "@dendrite/tensor/testing";
 * import { tensor } from "@dendrite/tensor";
 * assertClose(tensor([1, 2]).div(3), [0.33333, 0.66667], { atol: 1e-4 });
 * ```
 */
export function assertClose(
  actual: Tensor | NestedArray | TypedArray | readonly number[],
  expected: Tensor | NestedArray | TypedArray | readonly number[],
  options: CloseOptions = {},
): void {
  const atol = options.atol ?? 1e-5, rtol = options.rtol ?? 1e-4;
  const a = flat(actual), e = flat(expected);
  if (a.shape && e.shape && a.shape.join() !== e.shape.join() && e.shape.length > 0) {
    throw new AssertionError({
      message: `Shapes differ: actual [${a.shape.join(", ")}], expected [${e.shape.join(", ")}]`,
    });
  }
  if (a.data.length !== e.data.length) {
    throw new AssertionError({
      message: `Sizes differ: actual ${a.data.length} elements, expected ${e.data.length}`,
    });
  }
  let worst = -1, worstErr = 0;
  for (let i = 0; i < a.data.length; i++) {
    const av = a.data[i], ev = e.data[i];
    if (Number.isNaN(ev) && Number.isNaN(av)) continue;
    if (av === ev) continue;
    const err = Math.abs(av - ev) - (atol + rtol * Math.abs(ev));
    if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = Number.isNaN(err) ? Infinity : err;
    }
  }
  if (worst >= 0) {
    throw new AssertionError({
      message: `Values differ at flat index ${worst}: actual ${a.data[worst]}, expected ${
        e.data[worst]
      } (atol ${atol}, rtol ${rtol})`,
    });
  }
}

/**
 * Registers `fn` as one `Deno.test` per available backend, named
 * `"<name> [<backend>]"`, with that backend selected while it runs.
 *
 * @param name Test name, `"<symbol> <criteria>"`.
 * @param fn The test body.
 * @example
 * ```ts ignore
 * // In a *_test.ts file (Deno.test cannot nest inside a doc test):
 * import { testOnBackends } from "@dendrite/tensor/testing";
 * testOnBackends("nothing breaks", () => {});
 * ```
 */
export function testOnBackends(name: string, fn: (backend: string) => void | Promise<void>): void {
  for (const b of testBackends()) {
    Deno.test(`${name} [${b}]`, async () => {
      setBackend(b);
      try {
        await fn(b);
      } finally {
        setBackend("cpu");
      }
    });
  }
}

/**
 * The backends tests run on: every registered backend, or those listed in
 * `DENDRITE_TEST_BACKENDS` (comma-separated).
 *
 * @returns Backend names.
 * @example
 * ```ts
 * import { testBackends } from "@dendrite/tensor/testing";
 * console.assert(testBackends().includes("cpu"));
 * ```
 */
export function testBackends(): string[] {
  let env: string | undefined;
  try {
    env = Deno.env.get("DENDRITE_TEST_BACKENDS");
  } catch {
    env = undefined;
  }
  const all = listBackends();
  return env ? env.split(",").map((s) => s.trim()).filter((b) => all.includes(b)) : all;
}

/** A tensor as stored in a fixture file. */
export interface FixtureTensor {
  /** Shape. */
  shape: number[];
  /** Row-major values (`null` encodes NaN, strings "inf"/"-inf" infinities). */
  data: (number | string | null)[];
  /** dtype (default float32). */
  dtype?: DType;
}

/**
 * Decodes a fixture tensor.
 *
 * @param f The stored tensor.
 * @param options `requiresGrad`.
 * @returns A tensor on the current backend.
 * @example
 * ```ts
 * import { fromFixture } from "@dendrite/tensor/testing";
 * console.assert(fromFixture({ shape: [2], data: [1, null] }).shape[0] === 2);
 * ```
 */
export function fromFixture(f: FixtureTensor, options: { requiresGrad?: boolean } = {}): Tensor {
  const dt = f.dtype ?? "float32";
  const vals = f.data.map((v) =>
    v === null ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : Number(v)
  );
  const arr = dt === "int32"
    ? Int32Array.from(vals)
    : dt === "bool"
    ? Uint8Array.from(vals)
    : Float32Array.from(vals);
  return fromTypedArray(arr, f.shape, { requiresGrad: options.requiresGrad && dt === "float32" });
}

/**
 * Reads a JSON fixture file next to the calling module.
 *
 * @param url `new URL("./testdata/x.json", import.meta.url)`.
 * @returns The parsed JSON.
 * @example
 * ```ts
 * import { loadFixtures } from "@dendrite/tensor/testing";
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(path, '{"a": {"shape": [1], "data": [2]}}');
 * const fx = await loadFixtures<{ a: { shape: number[] } }>(new URL(`file://${path}`));
 * console.assert(fx.a.shape[0] === 1);
 * ```
 */
export async function loadFixtures<T = Record<string, unknown>>(url: URL): Promise<T> {
  return JSON.parse(await Deno.readTextFile(url)) as T;
}

/**
 * Asserts that `fn` throws an error of class `cls` whose message equals
 * `message` exactly (or matches it, for a RegExp).
 *
 * @param fn The code that must throw.
 * @param cls The expected error class.
 * @param message The exact message or a pattern.
 * @example
 * ```ts
 * import { assertThrowsMessage } from "@dendrite/tensor/testing";
 * import { ShapeError, tensor } from "@dendrite/tensor";
 * assertThrowsMessage(() => tensor([1, 2]).add(tensor([1, 2, 3])), ShapeError,
 *   "Cannot broadcast shapes [2] and [3] in add(): axis 0 has sizes 2 and 3");
 * ```
 */
export function assertThrowsMessage(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => Error,
  message: string | RegExp,
): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof cls)) {
      throw new AssertionError({
        message: `Expected ${cls.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`,
      });
    }
    const ok = typeof message === "string" ? e.message === message : message.test(e.message);
    if (!ok) {
      throw new AssertionError({
        message: `Expected message ${JSON.stringify(String(message))}, got ${
          JSON.stringify(e.message)
        }`,
      });
    }
    return;
  }
  throw new AssertionError({ message: `Expected ${cls.name} to be thrown, nothing was` });
}
