/**
 * A small WebAssembly emitter for CPU kernels: enough of the binary format
 * to write one exported function over an imported memory, with integer,
 * float and 128-bit SIMD instructions. Kernels are written in TypeScript and
 * assembled when first used, so no binary ships with the packages. Also the
 * switch for all of them: `DENDRITE_WASM=off` or `setWasmEnabled(false)`
 * sends their work to the plain TypeScript kernels.
 *
 * @module
 */
import { readEnv } from "../backend.ts";

/** Value types of WebAssembly locals and parameters, and the type of a block without result. */
export const WASM_TYPE = { i32: 0x7f, f32: 0x7d, v128: 0x7b, empty: 0x40 } as const;

/** One-byte opcodes the kernels use. */
export const WASM_OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  f32Const: 0x43,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GeS: 0x4e,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  simd: 0xfd,
} as const;

/** SIMD opcodes (after the 0xfd prefix) the kernels use. */
export const WASM_SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  f32x4Splat: 0x13,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Sqrt: 0xe3,
  f32x4RelaxedMadd: 0x105,
} as const;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Signed LEB128. */
function sleb(n: number): number[] {
  const out: number[] = [];
  while (true) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

/**
 * A function body being written: each method appends one instruction (with
 * its immediates encoded) and returns the builder.
 *
 * @example
 * ```ts
 * import { WASM_OP, WasmCode } from "@dendrite/tensor/wasm";
 * // (a, b) => a + b over i32
 * const code = new WasmCode().get(0).get(1).op(WASM_OP.i32Add);
 * console.log(code.bytes); // [32, 0, 32, 1, 106]
 * ```
 */
export class WasmCode {
  /** The instructions so far. */
  readonly bytes: number[] = [];

  /**
   * Appends raw bytes (an opcode without immediates, or a block type).
   *
   * @param b The bytes.
   * @returns This builder.
   */
  op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }

  /**
   * `local.get`.
   *
   * @param local The local's index (parameters first).
   * @returns This builder.
   */
  get(local: number): this {
    return this.op(WASM_OP.localGet, ...uleb(local));
  }

  /**
   * `local.set`.
   *
   * @param local The local's index.
   * @returns This builder.
   */
  set(local: number): this {
    return this.op(WASM_OP.localSet, ...uleb(local));
  }

  /**
   * `i32.const`.
   *
   * @param v The value (a 32-bit integer).
   * @returns This builder.
   */
  i32(v: number): this {
    return this.op(WASM_OP.i32Const, ...sleb(v | 0));
  }

  /**
   * `f32.const`.
   *
   * @param v The value (rounded to float32).
   * @returns This builder.
   */
  f32(v: number): this {
    return this.op(WASM_OP.f32Const, ...new Uint8Array(Float32Array.of(v).buffer));
  }

  /**
   * A SIMD instruction with its immediates (a memory argument from
   * {@link WasmCode.mem}, or a constant's 16 bytes).
   *
   * @param code The opcode after the 0xfd prefix (see `WASM_SIMD`).
   * @param imm Its immediates.
   * @returns This builder.
   */
  simd(code: number, ...imm: number[]): this {
    return this.op(WASM_OP.simd, ...uleb(code), ...imm);
  }

  /**
   * The memory argument of a load or store.
   *
   * @param alignLog2 log2 of the alignment promised (2 for 4 bytes, 4 for 16).
   * @param offset A constant byte offset added to the address.
   * @returns Its bytes.
   */
  mem(alignLog2: number, offset: number): number[] {
    return [...uleb(alignLog2), ...uleb(offset)];
  }
}

/** One exported function over an imported memory (`env.mem`). */
export interface WasmFunctionSpec {
  /** The export's name. */
  name: string;
  /** Parameter types (`WASM_TYPE`), locals 0 … n−1. */
  params: number[];
  /** Further locals as `[count, type]` runs, numbered after the parameters. */
  locals: [number, number][];
  /** The body, without the final `end`. */
  code: WasmCode;
  /**
   * Import a shared memory (for threads: `WebAssembly.Memory` with
   * `shared: true`) of at most this many 64 KiB pages; default: an unshared
   * memory.
   */
  sharedMaxPages?: number;
}

/**
 * Assembles a module that imports its memory as `env.mem` and exports one
 * function returning nothing.
 *
 * @param fn The function.
 * @returns The module's bytes.
 * @example
 * ```ts
 * import { WASM_TYPE, WasmCode, wasmModule } from "@dendrite/tensor/wasm";
 * // store(addr, value): writes an i32.
 * const code = new WasmCode().get(0).get(1).op(0x36, 2, 0); // i32.store align=4 offset=0
 * const bytes = wasmModule({ name: "store", params: [WASM_TYPE.i32, WASM_TYPE.i32], locals: [], code });
 * const mem = new WebAssembly.Memory({ initial: 1 });
 * const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem } });
 * (exports.store as (a: number, v: number) => void)(8, 42);
 * console.log(new Int32Array(mem.buffer)[2]); // 42
 * ```
 */
export function wasmModule(fn: WasmFunctionSpec): Uint8Array<ArrayBuffer> {
  const locals = vector(fn.locals.map(([count, type]) => [...uleb(count), type]));
  const body = [...locals, ...fn.code.bytes, WASM_OP.end];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector([[0x60, ...vector(fn.params.map((t) => [t])), 0]])),
    ...section(
      2,
      vector([[
        ...name("env"),
        ...name("mem"),
        0x02,
        ...(fn.sharedMaxPages
          ? [0x03, ...uleb(1), ...uleb(fn.sharedMaxPages)]
          : [0x00, ...uleb(1)]),
      ]]),
    ),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name(fn.name), 0x00, 0]])),
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ]);
}

/** An instantiated kernel module. */
export interface WasmKernel<F> {
  /** The exported function. */
  fn: F;
  /** A float32 view of the whole memory. */
  f32: Float32Array;
  /** The memory (shared when asked for), to hand to other threads. */
  memory: WebAssembly.Memory;
}

/**
 * Validates and instantiates the first of `variants` the runtime accepts
 * (say, with relaxed SIMD, then without), with a fixed memory of `bytes`.
 *
 * @param variants Module bytes, best first.
 * @param bytes Memory size in bytes.
 * @param exportName The function's name.
 * @param shared Make the memory shared (the modules must declare it so, with
 *   `sharedMaxPages` at least the memory's pages).
 * @returns The kernel and the index of the variant used, or a reason it is unavailable.
 * @example
 * ```ts
 * import { instantiateWasm, WasmCode, wasmModule } from "@dendrite/tensor/wasm";
 * const bytes = wasmModule({ name: "noop", params: [], locals: [], code: new WasmCode() });
 * const k = instantiateWasm<() => void>([bytes], 65536, "noop");
 * console.log("kernel" in k ? k.variant : k.reason); // 0
 * ```
 */
export function instantiateWasm<F>(
  variants: Uint8Array<ArrayBuffer>[],
  bytes: number,
  exportName: string,
  shared = false,
): { kernel: WasmKernel<F>; variant: number } | { reason: string } {
  if (typeof WebAssembly !== "object") return { reason: "no WebAssembly in this runtime" };
  for (let i = 0; i < variants.length; i++) {
    if (!WebAssembly.validate(variants[i])) continue;
    try {
      const pages = Math.max(1, Math.ceil(bytes / 65536));
      const memory = new WebAssembly.Memory(
        shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages },
      );
      const instance = new WebAssembly.Instance(new WebAssembly.Module(variants[i]), {
        env: { mem: memory },
      });
      return {
        kernel: {
          fn: instance.exports[exportName] as F,
          f32: new Float32Array(memory.buffer),
          memory,
        },
        variant: i,
      };
    } catch (e) {
      return { reason: `could not instantiate the WebAssembly kernel (${(e as Error).message})` };
    }
  }
  return { reason: "this runtime rejects the kernel's module (no WebAssembly SIMD?)" };
}

// ---------------------------------------------------------------------------
// The switch.

/** Whether the CPU backend's WebAssembly SIMD kernels run, and why not. */
export interface WasmInfo {
  /** True when the WebAssembly kernels (the GEMM without BLAS, the fused Adam step) are used. */
  enabled: boolean;
  /** True when the runtime also has relaxed SIMD (the GEMM then uses fused multiply-adds). */
  relaxed: boolean;
  /** Why they are off, when they are. */
  reason?: string;
}

let checked = false, simd = false, relaxed = false, envReason: string | undefined;
let switchedOn = true;

function probe(code: WasmCode): boolean {
  return typeof WebAssembly === "object" &&
    WebAssembly.validate(wasmModule({ name: "probe", params: [], locals: [], code }));
}

function check(): void {
  checked = true;
  const v = readEnv("DENDRITE_WASM");
  if (v && ["off", "0", "none", "false"].includes(v.toLowerCase())) {
    envReason = "disabled by DENDRITE_WASM";
  }
  const zero = new Array(16).fill(0);
  // v128.const 0; f32x4.sqrt; drop — and the same through relaxed_madd.
  simd = probe(new WasmCode().simd(WASM_SIMD.const, ...zero).simd(WASM_SIMD.f32x4Sqrt).op(0x1a));
  relaxed = simd && probe(
    new WasmCode().simd(WASM_SIMD.const, ...zero).simd(WASM_SIMD.const, ...zero)
      .simd(WASM_SIMD.const, ...zero).simd(WASM_SIMD.f32x4RelaxedMadd).op(0x1a),
  );
}

/**
 * Reports whether the CPU backend's WebAssembly SIMD kernels run: the GEMM
 * for products that native BLAS does not take (all of them without BLAS),
 * and the fused Adam/AdamW step of `@dendrite/optimizers`.
 *
 * @returns The state, and why it is off when it is.
 * @example
 * ```ts
 * import { wasmInfo } from "@dendrite/tensor";
 * const info = wasmInfo();
 * console.log(info.enabled ? `WebAssembly SIMD (relaxed: ${info.relaxed})` : info.reason);
 * ```
 */
export function wasmInfo(): WasmInfo {
  if (!checked) check();
  const reason = !switchedOn
    ? "disabled by setWasmEnabled(false)"
    : envReason ?? (simd
      ? undefined
      : typeof WebAssembly === "object"
      ? "this runtime has no WebAssembly SIMD"
      : "no WebAssembly in this runtime");
  return reason ? { enabled: false, relaxed, reason } : { enabled: true, relaxed };
}

/**
 * Turns the CPU backend's WebAssembly SIMD kernels on or off for this
 * process; when off (or unavailable), their work runs in plain TypeScript.
 *
 * @param on Use them where the runtime has SIMD.
 * @example
 * ```ts
 * import { setWasmEnabled, wasmInfo } from "@dendrite/tensor";
 * setWasmEnabled(false);
 * console.assert(!wasmInfo().enabled);
 * setWasmEnabled(true);
 * ```
 */
export function setWasmEnabled(on: boolean): void {
  switchedOn = on;
}
