import assert from "node:assert/strict";
import { gzipSync } from "fflate";
import { maybeGunzip, readIdx } from "@dendrite/data";
import { assertThrowsMessage } from "@dendrite/tensor/testing";

/** Builds an IDX file: magic 00 00 type rank, big-endian dims, then the payload. */
function idx(type: number, dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, k) => v.setUint32(4 + 4 * k, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 11) % 256);

Deno.test("readIdx parses ubyte images [N, H, W] with big-endian dims", () => {
  const { shape, data } = readIdx(idx(0x08, [2, 3, 4], pixels));
  assert.deepEqual(shape, [2, 3, 4]);
  assert.ok(data instanceof Uint8Array);
  assert.deepEqual([...data], [...pixels]);
});

Deno.test("readIdx parses ubyte labels [N] and dims above 255", () => {
  const labels = Uint8Array.from({ length: 300 }, (_, i) => i % 10);
  const { shape, data } = readIdx(idx(0x08, [300], labels));
  assert.deepEqual(shape, [300]);
  assert.equal(data[299], 9);
  assert.equal(data.length, 300);
});

Deno.test("readIdx inflates gzip input detected by the 1f 8b magic", () => {
  const raw = idx(0x08, [2, 3, 4], pixels);
  const gz = gzipSync(raw);
  assert.equal(gz[0], 0x1f);
  const { shape, data } = readIdx(gz);
  assert.deepEqual(shape, [2, 3, 4]);
  assert.deepEqual([...data], [...pixels]);
});

Deno.test("readIdx decodes big-endian int32, int16 and float32 payloads", () => {
  const p32 = new Uint8Array(8);
  new DataView(p32.buffer).setInt32(0, -5, false);
  new DataView(p32.buffer).setInt32(4, 70000, false);
  assert.deepEqual([...readIdx(idx(0x0c, [2], p32)).data], [-5, 70000]);
  const p16 = new Uint8Array(4);
  new DataView(p16.buffer).setInt16(0, -300, false);
  new DataView(p16.buffer).setInt16(2, 12, false);
  const r16 = readIdx(idx(0x0b, [1, 2], p16));
  assert.ok(r16.data instanceof Int16Array);
  assert.deepEqual([...r16.data], [-300, 12]);
  const pf = new Uint8Array(4);
  new DataView(pf.buffer).setFloat32(0, 1.5, false);
  const rf = readIdx(idx(0x0d, [1], pf));
  assert.ok(rf.data instanceof Float32Array);
  assert.equal(rf.data[0], 1.5);
});

Deno.test("readIdx rejects a corrupt magic number naming the file", () => {
  const bad = idx(0x08, [2, 3, 4], pixels);
  bad[0] = 0x12;
  bad[1] = 0x34;
  assertThrowsMessage(
    () => readIdx(bad, { name: "train-images-idx3-ubyte" }),
    Error,
    "Cannot read IDX file train-images-idx3-ubyte: bad magic number 12 34 08 03: expected 00 00 <type> <rank>",
  );
});

Deno.test("readIdx rejects an unknown element type", () => {
  assertThrowsMessage(
    () => readIdx(idx(0x07, [1], new Uint8Array(1)), { name: "x.idx" }),
    Error,
    "Cannot read IDX file x.idx: unknown element type 0x07: expected 0x08 (ubyte), 0x09, 0x0b, 0x0c, 0x0d or 0x0e",
  );
});

Deno.test("readIdx rejects truncated data with the declared and present sizes", () => {
  const full = idx(0x08, [2, 3, 4], pixels);
  assertThrowsMessage(
    () => readIdx(full.subarray(0, full.length - 5), { name: "t10k-images-idx3-ubyte" }),
    Error,
    "Cannot read IDX file t10k-images-idx3-ubyte: truncated data: the header declares shape [2, 3, 4] of ubyte (24 bytes) but only 19 bytes follow",
  );
});

Deno.test("readIdx rejects a truncated header and a zero rank", () => {
  const full = idx(0x08, [2, 3, 4], pixels);
  assertThrowsMessage(
    () => readIdx(full.subarray(0, 10), { name: "f" }),
    Error,
    "Cannot read IDX file f: truncated header: rank 3 needs 16 bytes, got 10",
  );
  assertThrowsMessage(
    () => readIdx(new Uint8Array([0, 0, 8, 0]), { name: "f" }),
    Error,
    "Cannot read IDX file f: rank 0 in the header: expected at least one dimension",
  );
  assertThrowsMessage(
    () => readIdx(new Uint8Array([0, 0]), { name: "f" }),
    Error,
    "Cannot read IDX file f: expected a 4-byte header, got 2 bytes",
  );
});

Deno.test("readIdx rejects dims that disagree with the data (trailing bytes)", () => {
  // The header says [2, 3, 3] (18 bytes) but 24 bytes follow: wrong dims, never a wrong tensor.
  assertThrowsMessage(
    () => readIdx(idx(0x08, [2, 3, 3], pixels), { name: "labels.idx" }),
    Error,
    "Cannot read IDX file labels.idx: 6 unexpected trailing bytes after the 18 bytes of shape [2, 3, 3]",
  );
});

Deno.test("readIdx reports corrupt gzip data", () => {
  const gz = gzipSync(idx(0x08, [2, 3, 4], pixels));
  const cut = gz.slice(0, 12);
  assert.throws(
    () => readIdx(cut, { name: "a.gz" }),
    (e: Error) => e.message.startsWith("Cannot read a.gz: the gzip data is corrupt or truncated"),
  );
});

Deno.test("maybeGunzip returns non-gzip bytes unchanged", () => {
  const b = new Uint8Array([1, 2, 3]);
  assert.equal(maybeGunzip(b, "x"), b);
});

Deno.test("readIdx handles an empty dataset (a zero dim)", () => {
  const { shape, data } = readIdx(idx(0x08, [0, 28, 28], new Uint8Array(0)));
  assert.deepEqual(shape, [0, 28, 28]);
  assert.equal(data.length, 0);
});
