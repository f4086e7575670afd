import assert from "node:assert/strict";
import {
  instantiateWasm,
  WASM_OP,
  WASM_SIMD,
  WASM_TYPE,
  WasmCode,
  wasmInfo,
  wasmModule,
} from "./wasm_emit.ts";

Deno.test("WasmCode encodes immediates as signed and unsigned LEB128 and f32 as little-endian bytes", () => {
  assert.deepEqual(new WasmCode().i32(-1).bytes, [WASM_OP.i32Const, 0x7f]);
  assert.deepEqual(new WasmCode().i32(64).bytes, [WASM_OP.i32Const, 0xc0, 0x00]);
  assert.deepEqual(new WasmCode().i32(-65).bytes, [WASM_OP.i32Const, 0xbf, 0x7f]);
  assert.deepEqual(new WasmCode().get(300).bytes, [WASM_OP.localGet, 0xac, 0x02]);
  assert.deepEqual(new WasmCode().f32(1).bytes, [WASM_OP.f32Const, 0, 0, 0x80, 0x3f]);
  assert.deepEqual(new WasmCode().mem(4, 32768), [4, 0x80, 0x80, 0x02]);
  assert.deepEqual(new WasmCode().simd(WASM_SIMD.f32x4RelaxedMadd).bytes, [0xfd, 0x85, 0x02]);
});

Deno.test("a SIMD kernel assembled by wasmModule runs: y[i] = a·x[i] + y[i] over f32x4 lanes", () => {
  // axpy(n4Bytes, a): x at 0, y at 1024 bytes.
  const [end, a, o, av] = [0, 1, 2, 3];
  const w = new WasmCode().get(a).simd(WASM_SIMD.f32x4Splat).set(av).i32(0).set(o);
  w.op(WASM_OP.loop, WASM_TYPE.empty);
  w.get(o);
  w.get(av).get(o).simd(WASM_SIMD.load, ...w.mem(4, 0)).simd(WASM_SIMD.f32x4Mul);
  w.get(o).simd(WASM_SIMD.load, ...w.mem(4, 1024)).simd(WASM_SIMD.f32x4Add);
  w.simd(WASM_SIMD.store, ...w.mem(4, 1024));
  w.get(o).i32(16).op(WASM_OP.i32Add).set(o);
  w.get(o).get(end).op(WASM_OP.i32LtS, WASM_OP.brIf, 0).op(WASM_OP.end);
  const bytes = wasmModule({
    name: "axpy",
    params: [WASM_TYPE.i32, WASM_TYPE.f32],
    locals: [[1, WASM_TYPE.i32], [1, WASM_TYPE.v128]],
    code: w,
  });
  const r = instantiateWasm<(end: number, a: number) => void>([bytes], 4096, "axpy");
  assert.ok("kernel" in r, "reason" in r ? r.reason : "");
  assert.equal(r.variant, 0);
  const f = r.kernel.f32;
  f.set([1, 2, 3, 4, 5, 6, 7, 8], 0);
  f.set([10, 20, 30, 40, 50, 60, 70, 80], 256);
  r.kernel.fn(32, 0.5);
  assert.deepEqual([...f.subarray(256, 264)], [10.5, 21, 31.5, 42, 52.5, 63, 73.5, 84]);
  assert.equal(f.length, 65536 / 4, "the memory is rounded up to whole 64 KiB pages");
});

Deno.test("instantiateWasm takes the first variant the runtime accepts and explains when none is", () => {
  const good = wasmModule({ name: "f", params: [], locals: [], code: new WasmCode() });
  // A body that leaves an i32 on the stack of a function without results does not validate.
  const bad = wasmModule({ name: "f", params: [], locals: [], code: new WasmCode().i32(1) });
  assert.equal(WebAssembly.validate(bad), false);
  const r = instantiateWasm([bad, good], 100, "f");
  assert.ok("kernel" in r && r.variant === 1);
  assert.deepEqual(instantiateWasm([bad], 100, "f"), {
    reason: "this runtime rejects the kernel's module (no WebAssembly SIMD?)",
  });
});

Deno.test("wasmInfo reports Deno's SIMD and relaxed SIMD", () => {
  assert.deepEqual(wasmInfo(), { enabled: true, relaxed: true });
});
