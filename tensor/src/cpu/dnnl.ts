/**
 * Convolutions through oneDNN (`libdnnl.so.2`, the library PyTorch's CPU
 * convolutions run on) with Deno's FFI, loaded on first use when
 * `--allow-ffi` is granted, the way native BLAS is (blas.ts). Debian and
 * Ubuntu ship it as `libdnnl2`. `DENDRITE_DNNL` names a library to load, or
 * `off` / `0` / `none` to use Dendrite's own kernels. Only the oneDNN 2.x C
 * API is bound (3.x removed the `*_desc_init` functions used here); another
 * major version is reported and left unused.
 *
 * Each convolution geometry gets primitives once (forward, input gradient,
 * weight gradient; the gradients created with the forward one as their hint,
 * as oneDNN requires), kept in a small least-recently-used cache. The
 * primitives choose their own memory layouts (`format_tag_any`, usually
 * channel blocks of 16 with AVX-512); the NCHW arrays are reordered into and
 * out of them by reorder primitives, as PyTorch's `mkldnn_convolution` does.
 * Data pointers are set on every call, right before the primitives run, on
 * an in-order CPU stream, so nothing native uses a pointer into a JavaScript
 * array after the call returns; the reordered copies live in arenas shared by
 * all primitives (see `arena`).
 *
 * @module
 */
import { loadNative } from "./native.ts";

const CANDIDATES = [
  "libdnnl.so.2",
  "/usr/lib/x86_64-linux-gnu/libdnnl.so.2",
  "/usr/lib/aarch64-linux-gnu/libdnnl.so.2",
];

const P = "pointer", B = "buffer";
const SYMBOLS = {
  dnnl_version: { parameters: [], result: P },
  dnnl_engine_create: { parameters: [B, "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: [B, P, "u32"], result: "i32" },
  dnnl_memory_desc_init_by_tag: { parameters: [B, "i32", B, "i32", "i32"], result: "i32" },
  dnnl_dilated_convolution_forward_desc_init: {
    parameters: [B, "i32", "i32", P, P, P, P, B, B, B, B],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_data_desc_init: {
    parameters: [B, "i32", P, P, P, B, B, B, B],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_weights_desc_init: {
    parameters: [B, "i32", P, P, P, P, B, B, B, B],
    result: "i32",
  },
  dnnl_primitive_desc_create: { parameters: [B, B, P, P, P], result: "i32" },
  dnnl_primitive_desc_destroy: { parameters: [P], result: "i32" },
  dnnl_primitive_desc_query_md: { parameters: [P, "i32", "i32"], result: P },
  dnnl_primitive_desc_query: { parameters: [P, "i32", "i32", B], result: "i32" },
  dnnl_primitive_create: { parameters: [B, P], result: "i32" },
  dnnl_primitive_destroy: { parameters: [P], result: "i32" },
  dnnl_memory_create: { parameters: [B, P, P, P], result: "i32" },
  dnnl_memory_destroy: { parameters: [P], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: [P, B], result: "i32" },
  dnnl_memory_desc_equal: { parameters: [P, P], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: [P], result: "usize" },
  dnnl_reorder_primitive_desc_create: { parameters: [B, P, P, P, P, P], result: "i32" },
  dnnl_primitive_execute: { parameters: [P, P, "i32", B], result: "i32" },
  dnnl_stream_wait: { parameters: [P], result: "i32" },
} as const;

// deno-lint-ignore no-explicit-any
type Fn = (...args: any[]) => any;
type Lib = { symbols: Record<keyof typeof SYMBOLS, Fn>; close(): void };
type Ptr = unknown;

/** Which oneDNN is in use and why. */
export interface DnnlInfo {
  /** True when CPU convolutions go to oneDNN. */
  enabled: boolean;
  /** The loaded library path, or null. */
  library: string | null;
  /** The library's version ("2.6.3"), when loaded. */
  version?: string;
  /** Why oneDNN is off, when it is. */
  reason?: string;
}

// The oneDNN 2.x constants this file uses (dnnl_types.h).
const F32 = 3, TAG_ANY = 1, TAG_X = 2, TAG_OIHW = 5, TAG_NCHW = 5, TAG_GOIHW = 7;
const FORWARD_TRAINING = 64, CONVOLUTION_DIRECT = 1, CPU = 1;
const Q_IMPL = 8, Q_SRC = 129, Q_DIFF_SRC = 130, Q_WEIGHTS = 131, Q_DIFF_WEIGHTS = 132;
const Q_DST = 133, Q_DIFF_DST = 134;
const ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33, ARG_BIAS = 41;
const ARG_DIFF_SRC = 129, ARG_DIFF_DST = 145, ARG_DIFF_WEIGHTS = 161;
/** `sizeof(dnnl_memory_desc_t)` and `sizeof(dnnl_convolution_desc_t)` in 2.x, rounded up. */
const MD_BYTES = 1024, DESC_BYTES = 8192;

let lib: Lib | null = null;
let library: string | null = null;
let version: string | undefined;
let reason: string | undefined;
let tried = false;
let enabled = true;
let engine: Ptr = null;
let stream: Ptr = null;

// deno-lint-ignore no-explicit-any
const D = (globalThis as any).Deno;

/** Throws a named error unless a oneDNN call returned `dnnl_success`. */
function check(status: number, what: string): void {
  if (status !== 0) throw new Error(`oneDNN: ${what} failed (dnnl_status_t ${status})`);
}

/** A one-slot output for a handle. */
const slot = (): BigUint64Array => new BigUint64Array(1);
const handle = (s: BigUint64Array): Ptr => D.UnsafePointer.create(s[0]);

/** Opens `path`, checks it is oneDNN 2.x and makes the engine and stream. */
function open(path: string): void {
  const l = D.dlopen(path, SYMBOLS) as Lib;
  const view = new D.UnsafePointerView(l.symbols.dnnl_version());
  const v = [view.getInt32(0), view.getInt32(4), view.getInt32(8)];
  if (v[0] !== 2) {
    l.close();
    throw new Error(`oneDNN ${v.join(".")} found; Dendrite binds the 2.x API`);
  }
  const e = slot(), s = slot();
  check(l.symbols.dnnl_engine_create(e, CPU, 0n), "dnnl_engine_create");
  check(l.symbols.dnnl_stream_create(s, handle(e), 0), "dnnl_stream_create");
  lib = l;
  engine = handle(e);
  stream = handle(s);
  version = v.join(".");
}

function tryLoad(): void {
  tried = true;
  ({ library, reason } = loadNative(
    "DENDRITE_DNNL",
    CANDIDATES,
    open,
    (last) => `no oneDNN 2.x library found (${last})`,
  ));
}

/**
 * Reports whether CPU convolutions run on oneDNN.
 *
 * @returns The library, its version and the state.
 * @example
 * ```ts
 * import { dnnlInfo } from "@dendrite/tensor";
 * const info = dnnlInfo();
 * console.log(info.enabled ? `oneDNN ${info.version}` : `no oneDNN (${info.reason})`);
 * ```
 */
export function dnnlInfo(): DnnlInfo {
  if (!tried) tryLoad();
  const on = enabled && lib !== null;
  return {
    enabled: on,
    library,
    ...(version ? { version } : {}),
    reason: on ? undefined : lib ? "disabled by setDnnlEnabled(false)" : reason,
  };
}

/**
 * Turns oneDNN convolutions on or off for this process (when the library is
 * loaded); off, convolutions run on Dendrite's own kernels (OpenBLAS,
 * WebAssembly or TypeScript GEMMs).
 *
 * @param on Use oneDNN.
 * @example
 * ```ts
 * import { dnnlInfo, setDnnlEnabled } from "@dendrite/tensor";
 * setDnnlEnabled(false);
 * console.assert(!dnnlInfo().enabled);
 * setDnnlEnabled(true);
 * ```
 */
export function setDnnlEnabled(on: boolean): void {
  enabled = on;
}

/**
 * A 2-D convolution as oneDNN sees it: input `[n, c, h, w]`, weights
 * `[f, c/groups, kh, kw]`, output `[n, f, oh, ow]`, with stride, dilation
 * and the padding before each axis (the padding after follows from the
 * sizes).
 */
export interface DnnlConvGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  f: number;
  groups: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

/** A JavaScript array's memory object, and its reorder into or out of the primitive's layout. */
interface Arg {
  user: Ptr;
  inner: Ptr;
  reorder: Ptr;
  reorderPd: Ptr;
  reorderArgs: BigUint64Array | null;
  /** Bytes of the primitive's layout, when it differs (bound to an arena at each call). */
  innerBytes: number;
  /** Floats the JavaScript array must hold. */
  size: number;
  /** Whether the array is written (reordered out after the primitive runs). */
  out: boolean;
}

/** One primitive with its arguments. */
interface Entry {
  pds: Ptr[];
  prim: Ptr;
  args: Arg[];
  /** The primitive's `dnnl_exec_arg_t` list. */
  exec: BigUint64Array;
}

type Kind = "forward" | "forward+bias" | "data" | "weights";

/** Primitives per geometry and kind, least recently used first. */
const cache = new Map<string, Entry>();
/**
 * Geometries and kinds kept (primitives and their memory objects; the
 * reordered data live in shared arenas).
 */
export const DNNL_CACHE = { entries: 32 };

const dims12 = (a: number[]): BigInt64Array => {
  const out = new BigInt64Array(12);
  a.forEach((v, i) => out[i] = BigInt(v));
  return out;
};

/** A memory descriptor of float32 `dims` in layout `tag`. */
function md(dims: number[], tag: number): Uint8Array {
  const m = new Uint8Array(MD_BYTES);
  check(
    lib!.symbols.dnnl_memory_desc_init_by_tag(m, dims.length, dims12(dims), F32, tag),
    "dnnl_memory_desc_init_by_tag",
  );
  return m;
}

/** A pointer to a memory descriptor: ours (a byte array) or one oneDNN returned. */
const mdPtr = (m: Uint8Array | Ptr): Ptr => m instanceof Uint8Array ? D.UnsafePointer.of(m) : m;

/** A memory object without data (its handle is set before each use). */
function memory(desc: Uint8Array | Ptr): Ptr {
  const s = slot();
  check(lib!.symbols.dnnl_memory_create(s, mdPtr(desc), engine, null), "dnnl_memory_create");
  return handle(s);
}

function primitive(pd: Ptr): Ptr {
  const s = slot();
  check(lib!.symbols.dnnl_primitive_create(s, pd), "dnnl_primitive_create");
  return handle(s);
}

const pointerValue = (p: Ptr): bigint => BigInt(D.UnsafePointer.value(p));

/** `dnnl_exec_arg_t` list: pairs of (argument id, memory). */
function execArgs(pairs: [number, Ptr][]): BigUint64Array {
  const a = new BigUint64Array(2 * pairs.length);
  pairs.forEach(([id, m], i) => {
    a[2 * i] = BigInt(id);
    a[2 * i + 1] = pointerValue(m);
  });
  return a;
}

/**
 * The memory of an NCHW-side array `user` for a primitive that wants layout
 * `want`, with a reorder into it (`into`) or out of it.
 */
function arg(user: Uint8Array, want: Ptr, into: boolean, size: number): Arg {
  const S = lib!.symbols;
  const u = memory(user);
  if (S.dnnl_memory_desc_equal(mdPtr(user), want)) {
    return {
      user: u,
      inner: u,
      reorder: null,
      reorderPd: null,
      reorderArgs: null,
      innerBytes: 0,
      size,
      out: !into,
    };
  }
  const inner = memory(want);
  const innerBytes = Number(S.dnnl_memory_desc_get_size(want));
  const s = slot();
  const [from, to] = into ? [mdPtr(user), want] : [want, mdPtr(user)];
  check(
    S.dnnl_reorder_primitive_desc_create(s, from, engine, to, engine, null),
    "dnnl_reorder_primitive_desc_create",
  );
  const reorderPd = handle(s);
  const reorder = primitive(reorderPd);
  const reorderArgs = into
    ? execArgs([[ARG_SRC, u], [ARG_DST, inner]])
    : execArgs([[ARG_SRC, inner], [ARG_DST, u]]);
  return { user: u, inner, reorder, reorderPd, reorderArgs, innerBytes, size, out: !into };
}

function destroyArg(a: Arg): void {
  const S = lib!.symbols;
  if (a.reorder) {
    S.dnnl_primitive_destroy(a.reorder);
    S.dnnl_primitive_desc_destroy(a.reorderPd);
    S.dnnl_memory_destroy(a.inner);
  }
  S.dnnl_memory_destroy(a.user);
}

function destroy(e: Entry): void {
  for (const a of e.args) destroyArg(a);
  lib!.symbols.dnnl_primitive_destroy(e.prim);
  for (const pd of e.pds) lib!.symbols.dnnl_primitive_desc_destroy(pd);
}

/**
 * Frees every cached primitive and the arenas, and forgets which geometries
 * oneDNN declined (tests; the cache is otherwise bounded by
 * {@link DNNL_CACHE}).
 */
export function clearDnnlCache(): void {
  arenas.length = 0;
  rejected.clear();
  if (!lib) return;
  for (const e of cache.values()) destroy(e);
  cache.clear();
}

/** The number of cached primitives (tests). */
export function dnnlCacheSize(): number {
  return cache.size;
}

/** The padding after an axis that makes `o` outputs exactly (may be negative). */
function padAfter(i: number, o: number, k: number, s: number, p: number, d: number): number {
  return (o - 1) * s + (k - 1) * d + 1 - i - p;
}

/** The convolution descriptor of a geometry for one kind of primitive. */
function convDesc(g: DnnlConvGeometry, kind: Kind): { desc: Uint8Array; mds: Uint8Array[] } {
  // (The byte arrays behind the pointers stay referenced until the calls
  // that read them have returned: they are returned in `mds`.)
  const S = lib!.symbols;
  const mdX = md([g.n, g.c, g.h, g.w], TAG_ANY), mdY = md([g.n, g.f, g.oh, g.ow], TAG_ANY);
  const wDims = g.groups === 1
    ? [g.f, g.c, g.kh, g.kw]
    : [g.groups, g.f / g.groups, g.c / g.groups, g.kh, g.kw];
  const mdW = md(wDims, TAG_ANY), mdB = md([g.f], TAG_X);
  const anyX = mdPtr(mdX), anyY = mdPtr(mdY), anyW = mdPtr(mdW);
  const strides = dims12([g.sh, g.sw]), dil = dims12([g.dh - 1, g.dw - 1]);
  const pl = dims12([g.ph, g.pw]);
  const pr = dims12([
    padAfter(g.h, g.oh, g.kh, g.sh, g.ph, g.dh),
    padAfter(g.w, g.ow, g.kw, g.sw, g.pw, g.dw),
  ]);
  const desc = new Uint8Array(DESC_BYTES);
  if (kind === "forward" || kind === "forward+bias") {
    const bias = kind === "forward+bias" ? mdPtr(mdB) : null;
    check(
      S.dnnl_dilated_convolution_forward_desc_init(
        desc,
        FORWARD_TRAINING,
        CONVOLUTION_DIRECT,
        anyX,
        anyW,
        bias,
        anyY,
        strides,
        dil,
        pl,
        pr,
      ),
      "dnnl_dilated_convolution_forward_desc_init",
    );
  } else if (kind === "data") {
    check(
      S.dnnl_dilated_convolution_backward_data_desc_init(
        desc,
        CONVOLUTION_DIRECT,
        anyX,
        anyW,
        anyY,
        strides,
        dil,
        pl,
        pr,
      ),
      "dnnl_dilated_convolution_backward_data_desc_init",
    );
  } else {
    check(
      S.dnnl_dilated_convolution_backward_weights_desc_init(
        desc,
        CONVOLUTION_DIRECT,
        anyX,
        anyW,
        null,
        anyY,
        strides,
        dil,
        pl,
        pr,
      ),
      "dnnl_dilated_convolution_backward_weights_desc_init",
    );
  }
  return { desc, mds: [mdX, mdW, mdY, mdB] };
}

function primitiveDesc(desc: Uint8Array, hint: Ptr): Ptr {
  const s = slot();
  check(
    lib!.symbols.dnnl_primitive_desc_create(s, desc, null, engine, hint),
    "dnnl_primitive_desc_create",
  );
  return handle(s);
}

/**
 * Implementations left to Dendrite's own kernels: oneDNN's reference loops
 * (`ref:any`, what it falls back to on CPUs or geometries without a tuned
 * kernel) are plain C++ loops, slower than the GEMM-based kernels here.
 * Exported so tests can decline others.
 */
export const DNNL_DECLINE = { implementations: /^ref:/ };

/** The implementation name of a primitive descriptor ("jit:avx512_core", ...). */
function implementationOf(pd: Ptr): string {
  const s = slot();
  check(lib!.symbols.dnnl_primitive_desc_query(pd, Q_IMPL, 0, s), "dnnl_primitive_desc_query");
  return new D.UnsafePointerView(handle(s)).getCString();
}

/** Builds the primitive of one kind for a geometry, with its arguments. */
function build(g: DnnlConvGeometry, kind: Kind): Entry {
  const S = lib!.symbols;
  const xUser = md([g.n, g.c, g.h, g.w], TAG_NCHW), yUser = md([g.n, g.f, g.oh, g.ow], TAG_NCHW);
  const wUser = g.groups === 1
    ? md([g.f, g.c, g.kh, g.kw], TAG_OIHW)
    : md([g.groups, g.f / g.groups, g.c / g.groups, g.kh, g.kw], TAG_GOIHW);
  const xs = g.n * g.c * g.h * g.w, ys = g.n * g.f * g.oh * g.ow;
  const wsz = g.f * (g.c / g.groups) * g.kh * g.kw;
  const pds: Ptr[] = [];
  // What was made so far, freed again if a later step fails.
  const made: Arg[] = [];
  const mk = (user: Uint8Array, want: Ptr, into: boolean, size: number): Arg => {
    const a = arg(user, want, into, size);
    made.push(a);
    return a;
  };
  try {
    const fwd = primitiveDesc(convDesc(g, kind === "forward+bias" ? kind : "forward").desc, null);
    pds.push(fwd);
    let pd = fwd;
    if (kind === "data" || kind === "weights") {
      pd = primitiveDesc(convDesc(g, kind).desc, fwd);
      pds.push(pd);
    }
    const impl = implementationOf(pd);
    if (DNNL_DECLINE.implementations.test(impl)) {
      throw new Error(`oneDNN offers only ${impl} for this convolution`);
    }
    const q = (what: number): Ptr => S.dnnl_primitive_desc_query_md(pd, what, 0);
    let args: Arg[], exec: [number, Ptr][];
    if (kind === "forward" || kind === "forward+bias") {
      args = [
        mk(xUser, q(Q_SRC), true, xs),
        mk(wUser, q(Q_WEIGHTS), true, wsz),
        mk(yUser, q(Q_DST), false, ys),
      ];
      exec = [[ARG_SRC, args[0].inner], [ARG_WEIGHTS, args[1].inner], [ARG_DST, args[2].inner]];
      if (kind === "forward+bias") {
        const b = memory(md([g.f], TAG_X));
        args.push({
          user: b,
          inner: b,
          reorder: null,
          reorderPd: null,
          reorderArgs: null,
          innerBytes: 0,
          size: g.f,
          out: false,
        });
        made.push(args[3]);
        exec.push([ARG_BIAS, b]);
      }
    } else if (kind === "data") {
      args = [
        mk(yUser, q(Q_DIFF_DST), true, ys),
        mk(wUser, q(Q_WEIGHTS), true, wsz),
        mk(xUser, q(Q_DIFF_SRC), false, xs),
      ];
      exec = [
        [ARG_DIFF_DST, args[0].inner],
        [ARG_WEIGHTS, args[1].inner],
        [ARG_DIFF_SRC, args[2].inner],
      ];
    } else {
      args = [
        mk(xUser, q(Q_SRC), true, xs),
        mk(yUser, q(Q_DIFF_DST), true, ys),
        mk(wUser, q(Q_DIFF_WEIGHTS), false, wsz),
      ];
      exec = [
        [ARG_SRC, args[0].inner],
        [ARG_DIFF_DST, args[1].inner],
        [ARG_DIFF_WEIGHTS, args[2].inner],
      ];
    }
    const prim = primitive(pd);
    return { pds, prim, args, exec: execArgs(exec) };
  } catch (e) {
    for (const a of made) destroyArg(a);
    for (const pd of pds) S.dnnl_primitive_desc_destroy(pd);
    throw e;
  }
}

/** The cached entry of a geometry and kind, built on a miss (undefined when oneDNN rejects it). */
function entry(g: DnnlConvGeometry, kind: Kind): Entry | undefined {
  const key =
    `${kind}:${g.n},${g.c},${g.h},${g.w},${g.f},${g.groups},${g.kh},${g.kw},${g.oh},${g.ow},${g.sh},${g.sw},${g.ph},${g.pw},${g.dh},${g.dw}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  if (rejected.has(key)) return undefined;
  let e: Entry;
  try {
    e = build(g, kind);
  } catch {
    if (rejected.size >= 256) rejected.clear();
    rejected.add(key);
    return undefined;
  }
  cache.set(key, e);
  while (cache.size > Math.max(1, DNNL_CACHE.entries)) {
    const [oldest, old] = cache.entries().next().value!;
    cache.delete(oldest);
    destroy(old);
  }
  return e;
}

/** Geometries oneDNN declined (they run on Dendrite's kernels). */
const rejected = new Set<string>();

/**
 * The reordered copies of the operands live in one arena per argument
 * position (input, weights, output), shared by every cached primitive and
 * grown to the largest size used: primitives of large layers (64 channels at
 * 224×224, say, 800 MB per batch of 64) would otherwise each hold copies of
 * their activations for as long as they stay in the cache.
 */
const arenas: { buffer: Uint8Array; view: Uint8Array }[] = [];

/** `bytes` of arena `i`, 64-byte aligned (oneDNN's preferred alignment). */
function arena(i: number, bytes: number): Uint8Array {
  const a = arenas[i];
  if (a && a.view.length >= bytes) return a.view.subarray(0, bytes);
  const buffer = new Uint8Array(bytes + 64);
  const at = Number(pointerValue(D.UnsafePointer.of(buffer)) % 64n);
  const view = buffer.subarray((64 - at) % 64, (64 - at) % 64 + bytes);
  arenas[i] = { buffer, view };
  return view;
}

/** Sets the data pointers of an entry's arrays, runs it (with reorders) and waits. */
function run(e: Entry, arrays: Float32Array[]): void {
  const S = lib!.symbols;
  for (let i = 0; i < e.args.length; i++) {
    const a = e.args[i], x = arrays[i];
    if (x.length < a.size) {
      throw new RangeError(
        `oneDNN convolution: operand ${i} has ${x.length} elements, expected at least ${a.size}`,
      );
    }
    check(S.dnnl_memory_set_data_handle(a.user, x), "dnnl_memory_set_data_handle");
    if (a.reorder) {
      check(
        S.dnnl_memory_set_data_handle(a.inner, arena(i, a.innerBytes)),
        "dnnl_memory_set_data_handle",
      );
    }
  }
  // Inputs are reordered in, the primitive runs, the output is reordered out.
  for (const a of e.args) {
    if (!a.out && a.reorder) {
      check(S.dnnl_primitive_execute(a.reorder, stream, 2, a.reorderArgs!), "reorder");
    }
  }
  check(S.dnnl_primitive_execute(e.prim, stream, e.exec.length / 2, e.exec), "convolution");
  for (const a of e.args) {
    if (a.out && a.reorder) {
      check(S.dnnl_primitive_execute(a.reorder, stream, 2, a.reorderArgs!), "reorder");
    }
  }
  check(S.dnnl_stream_wait(stream), "dnnl_stream_wait");
}

/**
 * Whether oneDNN is loaded and enabled (loading it on first use).
 *
 * @returns True when convolutions may go to oneDNN.
 */
export function dnnlReady(): boolean {
  if (!enabled) return false;
  if (!tried) tryLoad();
  return lib !== null;
}

/** Whether a geometry may go to oneDNN at all (loaded, enabled, nothing empty). */
function usable(g: DnnlConvGeometry): boolean {
  return dnnlReady() && g.n * g.c * g.h * g.w * g.f * g.oh * g.ow > 0;
}

/**
 * `y = conv(x, w) + bias` through oneDNN.
 *
 * @returns False when oneDNN is off or declines the geometry (the caller
 *   falls back).
 */
export function dnnlConvForward(
  g: DnnlConvGeometry,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  y: Float32Array,
): boolean {
  if (!usable(g)) return false;
  const e = entry(g, bias ? "forward+bias" : "forward");
  if (!e) return false;
  run(e, bias ? [x, w, y, bias] : [x, w, y]);
  return true;
}

/**
 * The input gradient `dx` (overwritten) of a convolution from `dy` and the
 * weights, through oneDNN.
 *
 * @returns False when oneDNN is off or declines the geometry.
 */
export function dnnlConvBackwardData(
  g: DnnlConvGeometry,
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
): boolean {
  if (!usable(g)) return false;
  const e = entry(g, "data");
  if (!e) return false;
  run(e, [dy, w, dx]);
  return true;
}

/**
 * The weight gradient `dw` (overwritten) of a convolution from its input
 * and `dy`, through oneDNN.
 *
 * @returns False when oneDNN is off or declines the geometry.
 */
export function dnnlConvBackwardWeights(
  g: DnnlConvGeometry,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
): boolean {
  if (!usable(g)) return false;
  const e = entry(g, "weights");
  if (!e) return false;
  run(e, [x, dy, dw]);
  return true;
}

/**
 * Which oneDNN implementation a geometry's primitive of `kind` runs
 * ("jit:avx512_core", "gemm:jit", ...), or undefined when it has none
 * (benchmarks and tests).
 *
 * @returns The implementation's name.
 */
export function dnnlImplementation(
  g: DnnlConvGeometry,
  kind: "forward" | "data" | "weights",
): string | undefined {
  if (!usable(g)) return undefined;
  const e = entry(g, kind);
  return e ? implementationOf(e.pds[e.pds.length - 1]) : undefined;
}
