/**
 * `@dendrite/tensor/wasm`: the small WebAssembly emitter behind the CPU
 * backend's SIMD kernels (the GEMM used without native BLAS), for kernel
 * authors: write one function's instructions in TypeScript, assemble a
 * module over an imported memory, and instantiate the best variant the
 * runtime accepts.
 *
 * ```ts
 * import { instantiateWasm, WASM_OP, WASM_TYPE, WasmCode, wasmModule } from "@dendrite/tensor/wasm";
 * // add(dst, a, b): one i32 sum stored at dst.
 * const code = new WasmCode().get(0).get(1).get(2).op(WASM_OP.i32Add).op(0x36, 2, 0);
 * const bytes = wasmModule({ name: "add", params: [WASM_TYPE.i32, WASM_TYPE.i32, WASM_TYPE.i32], locals: [], code });
 * const k = instantiateWasm<(dst: number, a: number, b: number) => void>([bytes], 65536, "add");
 * if ("kernel" in k) {
 *   k.kernel.fn(0, 2, 3);
 *   console.log(new Int32Array(k.kernel.f32.buffer)[0]); // 5
 * }
 * ```
 *
 * @module
 */
export * from "./src/cpu/wasm_emit.ts";
