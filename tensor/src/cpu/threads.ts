/**
 * Worker threads for the CPU GEMMs (wasm_gemm.ts, gemm.ts): how many to
 * start, starting them from a program's source, and waiting for a job
 * posted to a worker's mailbox (Int32 control words in shared memory).
 * Internal.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { readEnv } from "../backend.ts";

/**
 * Threads wanted in all (this one included): `DENDRITE_THREADS`, else
 * `navigator.hardwareConcurrency`, at most 8.
 *
 * @returns The count.
 */
export function threadsWanted(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const v = Number(readEnv("DENDRITE_THREADS"));
  return Number.isInteger(v) && v >= 1 ? v : Math.min(8, Number(nav?.hardwareConcurrency) || 1);
}

/**
 * Starts up to `count` workers running `source` (CommonJS, with `eval`),
 * posting `message(i)` to worker `i`. They run in the background; each says
 * in its mailbox when it is ready, and one that fails to start never does,
 * so it is never given work (its error is caught, not fatal). `unref()`: an
 * idle pool never keeps the process alive.
 *
 * @param source The workers' program.
 * @param count Workers wanted.
 * @param message The first message of worker `i`.
 * @returns How many were created (fewer where threads are missing).
 */
export function startWorkers(
  source: string,
  count: number,
  message: (i: number) => unknown,
): number {
  for (let i = 0; i < count; i++) {
    try {
      const w = new Worker(source, { eval: true });
      w.postMessage(message(i));
      w.on("error", () => {});
      w.unref();
    } catch {
      return i;
    }
  }
  return count;
}

/**
 * Waits until word `done` of a worker's mailbox reaches `job`; throws the
 * error `stuck()` gives when it has not moved for 10 s.
 *
 * @param box The mailbox.
 * @param done Index of its "last job finished" word.
 * @param job The job waited for.
 * @param stuck The error to throw.
 */
export function awaitJob(box: Int32Array, done: number, job: number, stuck: () => Error): void {
  let seen: number;
  while ((seen = Atomics.load(box, done)) !== job) {
    if (Atomics.wait(box, done, seen, 10_000) === "timed-out" && Atomics.load(box, done) === seen) {
      throw stuck();
    }
  }
}
