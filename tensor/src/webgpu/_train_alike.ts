/**
 * Test helper for the training-memory tests: one model trained on the CPU
 * and a copy on WebGPU, step for step.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { assertClose } from "@dendrite/tensor/testing";

/**
 * Runs `steps` training steps on both copies. Each step function does a
 * whole step (zero the gradients, the loss, backward, the optimizer) and
 * returns the loss; the WebGPU one runs inside `tidy` and should also zero
 * its gradients at the end, so that only the model and optimizer state stay
 * allocated. Asserts that WebGPU's buffer count and bytes equal their level
 * after step 2 at every later step, and that the two losses agree within
 * `tol` for the first `compareSteps` steps.
 *
 * @returns The WebGPU losses.
 */
export async function trainAlike(
  steps: number,
  cpuStep: () => T.Tensor,
  gpuStep: () => T.Tensor,
  tol: { atol: number; rtol: number; compareSteps?: number },
): Promise<number[]> {
  const be = T.webgpuBackend()!;
  let baseline: { buffers: number; bytes: number } | undefined;
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const lossCpu = cpuStep().itemSync() as number;
    const lossGpu = await T.tidy(async () => (await gpuStep().item()) as number);
    const m = be.memory();
    if (step === 2) baseline = { buffers: m.buffers, bytes: m.bytes };
    if (step > 2) {
      assert.deepEqual({ buffers: m.buffers, bytes: m.bytes }, baseline, `step ${step}`);
    }
    if (step < (tol.compareSteps ?? steps)) {
      assertClose(lossGpu, lossCpu, { atol: tol.atol, rtol: tol.rtol });
    }
    losses.push(lossGpu);
  }
  return losses;
}
