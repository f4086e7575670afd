/**
 * The IDX file format of MNIST and Fashion-MNIST (optionally gzipped).
 *
 * @module
 */
import { fmtShape } from "@dendrite/tensor";
import { gunzipSync } from "fflate";

/** The element arrays an IDX file can hold. */
export type IdxArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** A parsed IDX file: its shape and row-major elements. */
export interface IdxFile {
  /** Sizes per axis, from the header. */
  shape: number[];
  /** Row-major elements (`Uint8Array` for the 0x08 unsigned-byte type of MNIST). */
  data: IdxArray;
}

/** Options for {@link readIdx}. */
export interface ReadIdxOptions {
  /** The file name used in error messages (default "IDX data"). */
  name?: string;
}

const TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: "ubyte", bytes: 1 },
  0x09: { name: "byte", bytes: 1 },
  0x0b: { name: "short", bytes: 2 },
  0x0c: { name: "int", bytes: 4 },
  0x0d: { name: "float", bytes: 4 },
  0x0e: { name: "double", bytes: 8 },
};

/**
 * Inflates gzip data when it starts with the gzip magic bytes `1f 8b`.
 *
 * @param bytes Raw or gzipped bytes.
 * @param name The file name used in error messages.
 * @returns The inflated bytes, or `bytes` itself when not gzipped.
 * @example
 * ```ts
 * import { maybeGunzip } from "@dendrite/data";
 * import { gzipSync } from "fflate";
 * console.assert(maybeGunzip(gzipSync(new Uint8Array([7, 8])), "x")[1] === 8);
 * ```
 */
export function maybeGunzip(bytes: Uint8Array, name: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new Error(
      `Cannot read ${name}: the gzip data is corrupt or truncated (${(e as Error).message})`,
    );
  }
}

/**
 * Parses an IDX file (the format of MNIST and Fashion-MNIST): magic bytes
 * `00 00 <type> <rank>`, then `rank` big-endian uint32 sizes, then the
 * elements, big-endian. Gzipped input (magic `1f 8b`) is inflated first.
 * Every inconsistency throws an `Error` naming the file and the problem.
 *
 * @param bytes The file contents, raw or gzipped.
 * @param options `name`: the file name for error messages.
 * @returns `{ shape, data }`; for the unsigned-byte type `data` may share memory with `bytes`.
 * @example
 * ```ts
 * import { readIdx } from "@dendrite/data";
 * // Two 1x2 "images": magic 00 00 08 03, dims 2, 1, 2, then 4 pixels.
 * const bytes = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4]);
 * const { shape, data } = readIdx(bytes);
 * console.assert(shape.join() === "2,1,2" && data.join() === "1,2,3,4");
 * ```
 */
export function readIdx(bytes: Uint8Array, options: ReadIdxOptions = {}): IdxFile {
  const name = options.name ?? "IDX data";
  const buf = maybeGunzip(bytes, name);
  const fail = (problem: string): never => {
    throw new Error(`Cannot read IDX file ${name}: ${problem}`);
  };
  if (buf.length < 4) fail(`expected a 4-byte header, got ${buf.length} bytes`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    const hex = Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    fail(`bad magic number ${hex}: expected 00 00 <type> <rank>`);
  }
  const type = TYPES[buf[2]];
  if (!type) {
    fail(
      `unknown element type 0x${
        buf[2].toString(16).padStart(2, "0")
      }: expected 0x08 (ubyte), 0x09, 0x0b, 0x0c, 0x0d or 0x0e`,
    );
  }
  const rank = buf[3];
  if (rank === 0) fail("rank 0 in the header: expected at least one dimension");
  const headerBytes = 4 + 4 * rank;
  if (buf.length < headerBytes) {
    fail(`truncated header: rank ${rank} needs ${headerBytes} bytes, got ${buf.length}`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let k = 0; k < rank; k++) {
    const d = view.getUint32(4 + 4 * k, false);
    shape.push(d);
    count *= d;
  }
  const need = count * type.bytes;
  const have = buf.length - headerBytes;
  if (have < need) {
    fail(
      `truncated data: the header declares shape ${
        fmtShape(shape)
      } of ${type.name} (${need} bytes) but only ${have} bytes follow`,
    );
  }
  if (have > need) {
    fail(
      `${have - need} unexpected trailing bytes after the ${need} bytes of shape ${
        fmtShape(shape)
      }`,
    );
  }
  let data: IdxArray;
  switch (buf[2]) {
    case 0x08:
      data = buf.subarray(headerBytes);
      break;
    case 0x09:
      data = new Int8Array(buf.buffer, buf.byteOffset + headerBytes, count).slice();
      break;
    case 0x0b: {
      const a = new Int16Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getInt16(headerBytes + 2 * i, false);
      data = a;
      break;
    }
    case 0x0c: {
      const a = new Int32Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getInt32(headerBytes + 4 * i, false);
      data = a;
      break;
    }
    case 0x0d: {
      const a = new Float32Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getFloat32(headerBytes + 4 * i, false);
      data = a;
      break;
    }
    default: {
      const a = new Float64Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getFloat64(headerBytes + 8 * i, false);
      data = a;
    }
  }
  return { shape, data };
}
