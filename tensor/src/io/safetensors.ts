/**
 * The safetensors format (a little-endian u64 header length, a JSON header
 * of dtypes, shapes and byte offsets, then raw little-endian data), read and
 * written strictly: a truncated or inconsistent file throws a
 * `SafetensorsError` listing what is wrong, never returns partial tensors.
 *
 * @module
 */
import type { DType, TypedArray } from "../dtype.ts";
import { fmtShape } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import { fromTypedArray } from "../ops/creation.ts";

/**
 * Thrown when safetensors bytes are malformed.
 *
 * @example
 * ```ts
 * import { decodeSafetensors, SafetensorsError } from "@dendrite/tensor";
 * try { decodeSafetensors(new Uint8Array(3)); } catch (e) { console.assert(e instanceof SafetensorsError); }
 * ```
 */
export class SafetensorsError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

const WRITE: Record<DType, string> = { float32: "F32", int32: "I32", bool: "BOOL" };
const BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Decoded contents: tensors by name and the string metadata. */
export interface SafetensorsContents {
  /** Tensors in header order. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` strings. */
  metadata: Record<string, string>;
}

/**
 * Encodes tensors (float32, int32, bool) as safetensors bytes. Names are
 * written in sorted order with 8-byte aligned data, like the reference
 * implementation.
 *
 * @param tensors Tensors by name (a Map or a plain object).
 * @param metadata String metadata.
 * @returns The file contents.
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors, tensor } from "@dendrite/tensor";
 * const bytes = encodeSafetensors({ w: tensor([[1, 2], [3, 4]]) }, { format: "pt" });
 * const back = decodeSafetensors(bytes);
 * console.assert(back.tensors.get("w")!.dataSync().join() === "1,2,3,4");
 * ```
 */
export function encodeSafetensors(
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = [...(tensors instanceof Map ? tensors : Object.entries(tensors))].sort((
    [a],
    [b],
  ) => a < b ? -1 : a > b ? 1 : 0);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const [name, t] of entries) {
    const data = t.dataSync();
    const bytes = new Uint8Array(
      data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
    );
    header[name] = {
      dtype: WRITE[t.dtype],
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes.length],
    };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += " ";
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

function convert(dtype: string, raw: Uint8Array, n: number, name: string): TypedArray {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case "F32": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    }
    case "F64": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    case "F16":
    case "BF16": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const h = dv.getUint16(i * 2, true);
        out[i] = dtype === "BF16" ? bf16(h) : f16(h);
      }
      return out;
    }
    case "I32": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      return out;
    }
    case "I64": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) {
          throw new SafetensorsError(`Cannot load "${name}": I64 value ${v} does not fit in int32`);
        }
        out[i] = Number(v);
      }
      return out;
    }
    case "I16":
    case "I8":
    case "U8": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = dtype === "I16"
          ? dv.getInt16(i * 2, true)
          : dtype === "I8"
          ? dv.getInt8(i)
          : dv.getUint8(i);
      }
      return out;
    }
    case "BOOL":
      return raw.slice(0, n);
    default:
      throw new SafetensorsError(`Cannot load "${name}": unsupported dtype ${dtype}`);
  }
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function bf16(h: number): number {
  const f = new Float32Array(new Uint32Array([h << 16]).buffer);
  return f[0];
}

/**
 * Decodes safetensors bytes, validating the header length, JSON, dtypes,
 * shapes and every byte range first. F64/F16/BF16 load as float32 and
 * I64/I16/I8/U8 as int32 (I64 values must fit).
 *
 * @param bytes The file contents.
 * @param options `backend` for the tensors.
 * @returns Tensors and metadata.
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors, tensor } from "@dendrite/tensor";
 * const bytes = encodeSafetensors({ b: tensor([true, false]) });
 * console.assert(decodeSafetensors(bytes).tensors.get("b")!.dtype === "bool");
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: { backend?: string } = {},
): SafetensorsContents {
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `Cannot read safetensors: the data has ${bytes.length} bytes, fewer than the 8-byte header length`,
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (8 + n > bytes.length) {
    throw new SafetensorsError(
      `Cannot read safetensors: the header claims ${n} bytes but only ${
        bytes.length - 8
      } follow (truncated file?)`,
    );
  }
  let header: Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(
      `Cannot read safetensors: the header is not valid JSON (${(e as Error).message})`,
    );
  }
  const dataStart = 8 + n, dataLen = bytes.length - dataStart;
  const problems: string[] = [];
  const specs: [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][] = [];
  let maxEnd = 0;
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const spec = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const width = BYTES[spec?.dtype];
    if (!width) {
      problems.push(`"${name}" has unsupported dtype ${JSON.stringify(spec?.dtype)}`);
      continue;
    }
    if (!Array.isArray(spec.shape) || spec.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      problems.push(`"${name}" has an invalid shape ${JSON.stringify(spec.shape)}`);
      continue;
    }
    const [b, e] = spec.data_offsets ?? [];
    const want = sizeOf(spec.shape) * width;
    if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e < b) {
      problems.push(`"${name}" has invalid data offsets ${JSON.stringify(spec.data_offsets)}`);
    } else if (e > dataLen) {
      problems.push(
        `"${name}" ends at byte ${e} but the data section has ${dataLen} bytes (truncated file?)`,
      );
    } else if (e - b !== want) {
      problems.push(
        `"${name}" spans ${e - b} bytes but shape ${
          fmtShape(spec.shape)
        } of ${spec.dtype} needs ${want}`,
      );
    } else {
      specs.push([name, spec]);
      maxEnd = Math.max(maxEnd, e);
    }
  }
  if (problems.length) {
    throw new SafetensorsError(
      `Cannot read safetensors: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`,
    );
  }
  void maxEnd;
  const tensors = new Map<string, Tensor>();
  for (const [name, spec] of specs) {
    const [b, e] = spec.data_offsets;
    const raw = bytes.subarray(dataStart + b, dataStart + e);
    const arr = convert(spec.dtype, raw, sizeOf(spec.shape), name);
    tensors.set(name, fromTypedArray(arr, spec.shape, { backend: options.backend }));
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {} };
}
