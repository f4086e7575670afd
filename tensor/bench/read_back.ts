/**
 * The benchmark protocol's end of a step for Dendrite tensors (shared by the
 * `deno bench` files here and by `_tools/bench/bench.ts` and `gpu_bench.ts`):
 * await one element read back from each result, which on WebGPU also waits
 * for the queued GPU work. Not a benchmark itself (`deno bench` runs
 * `*_bench.ts` files only).
 *
 * @module
 */
import type { Tensor } from "@dendrite/tensor";

/**
 * Awaits one element of each tensor and returns their sum.
 *
 * @param ts The step's results.
 * @returns The sum of their first elements.
 */
export async function readBack(...ts: Tensor[]): Promise<number> {
  let s = 0;
  for (const t of ts) s += Number((await t.reshape([-1]).slice([[0, 1]]).data())[0]);
  return s;
}
