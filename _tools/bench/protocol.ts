/**
 * The timing protocol of ../shared/bench/README.md, shared by the Dendrite
 * and TensorFlow.js sides of `bench.ts`: a line-for-line port of
 * `time_bench()` in ../shared/bench/torch_bench.py (warm-ups cut when one
 * takes over a quarter of the budget, a single cold run when the first one
 * exceeds the whole budget, iterations cut to fit the budget but never below
 * `min_iters`), so all columns of the table are measured alike. Each step is
 * async and ends by awaiting a value read back from its result.
 *
 * @module
 */

/** The protocol settings of spec.json. */
export interface Protocol {
  /** Untimed iterations before timing. */
  warmup: number;
  /** Timed iterations. */
  iters: number;
  /** Fewest timed iterations when the budget cuts them. */
  min_iters: number;
  /** Time budget per workload in seconds. */
  budget_s: number;
}

/** One workload's timing, with the field names of torch_bench.py's JSON. */
export interface BenchResult {
  /** Median of the timed iterations in milliseconds. */
  median_ms: number;
  /** Fastest timed iteration in milliseconds. */
  min_ms: number;
  /** Slowest timed iteration in milliseconds. */
  max_ms: number;
  /** Mean of the timed iterations in milliseconds. */
  mean_ms: number;
  /** Number of timed iterations. */
  iters: number;
  /** Number of warm-up iterations run. */
  warmup: number;
  /** Billions of floating-point operations per second at the median, where defined. */
  gflops?: number;
  /** Why the protocol was shortened, when it was. */
  note?: string;
}

/** A workload entry of spec.json (only the fields the benches read are typed). */
export interface Workload {
  /** Identifier such as `W1_matmul_1024`. */
  id: string;
  /** `matmul`, `conv2d`, `mlp`, `cnn`, ... */
  kind: string;
  // deno-lint-ignore no-explicit-any
  [field: string]: any;
}

/** The parsed spec.json. */
export interface Spec extends Protocol {
  /** Format version. */
  version: number;
  /** Seed of all random inputs. */
  seed: number;
  /** The workloads in order. */
  workloads: Workload[];
}

/** The folder holding spec.json and torch_bench.py (`../shared/bench/` beside the repo). */
export const sharedBench: URL = new URL("../../../shared/bench/", import.meta.url);

/**
 * Reads spec.json.
 *
 * @returns The spec.
 */
export async function loadSpec(): Promise<Spec> {
  return JSON.parse(await Deno.readTextFile(new URL("spec.json", sharedBench)));
}

/**
 * Parses `--key=value` and `--flag` arguments.
 *
 * @param argv The arguments.
 * @returns The options by key (`"1"` for a bare flag).
 */
export function parseArgs(argv: readonly string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const a of argv) {
    if (!a.startsWith("--")) continue;
    const eq = a.indexOf("=");
    if (eq < 0) o[a.slice(2)] = "1";
    else o[a.slice(2, eq)] = a.slice(eq + 1) || "1";
  }
  return o;
}

/**
 * Whether a workload id is selected by `--only` (exact id or prefix, as in torch_bench.py).
 *
 * @param id The workload id.
 * @param only The `--only` list, or undefined for all.
 * @returns True when selected.
 */
export function selected(id: string, only: readonly string[] | undefined): boolean {
  return !only || only.some((p) => id === p || id.startsWith(p));
}

/**
 * The floating-point operations of one step, where the README defines them
 * (matmul: 2n³; conv2d: 2·N·H'·W'·Cout·Cin·k², three times that with the backward).
 *
 * @param w The workload.
 * @returns The count, or undefined.
 */
export function flopsOf(w: Workload): number | undefined {
  if (w.kind === "matmul") return 2 * w.n ** 3;
  if (w.kind === "conv2d") {
    const ho = w.hw + 2 * w.pad - w.k + 1;
    const f = 2 * w.n * ho * ho * w.cout * w.cin * w.k ** 2;
    return w.backward ? 3 * f : f;
  }
  return undefined;
}

/**
 * Labels of the torch side (`random_labels()` in torch_bench.py): a 32-bit LCG.
 *
 * @param n How many.
 * @param classes Number of classes.
 * @param seed The seed.
 * @returns The labels.
 */
export function randomLabels(n: number, classes: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.floor((s * classes) / 2 ** 32);
  }
  return out;
}

const median = (sorted: number[]): number => {
  const n = sorted.length, h = n >> 1;
  return n % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
};

/**
 * Times an async step with the shared protocol.
 *
 * @param step One iteration; it resolves once a value of its result was read back.
 * @param p The protocol settings.
 * @returns The timing.
 */
export async function timeBench(step: () => Promise<unknown>, p: Protocol): Promise<BenchResult> {
  const budgetMs = p.budget_s * 1000;
  const wt: number[] = [], notes: string[] = [];
  for (let i = 0; i < p.warmup; i++) {
    const t0 = performance.now();
    await step();
    wt.push(performance.now() - t0);
    if (i === 0 && wt[0] > budgetMs) {
      return {
        median_ms: wt[0],
        min_ms: wt[0],
        max_ms: wt[0],
        mean_ms: wt[0],
        iters: 1,
        warmup: 0,
        note: `single cold run only (first run ${
          (wt[0] / 1000).toFixed(1)
        } s > budget ${p.budget_s} s)`,
      };
    }
    if (wt[i] > budgetMs / 4 && i + 1 < p.warmup) {
      notes.push(`warm-ups cut ${p.warmup}->${i + 1}`);
      break;
    }
  }
  const est = wt.length ? wt[wt.length - 1] : 0;
  let n = p.iters;
  if (est * p.iters > budgetMs) {
    n = Math.max(p.min_iters, Math.floor(budgetMs / est));
    notes.push(
      `iterations cut ${p.iters}->${n} (~${est.toFixed(0)} ms/iter, budget ${p.budget_s} s)`,
    );
  }
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await step();
    ts.push(performance.now() - t0);
  }
  const sorted = [...ts].sort((a, b) => a - b);
  const r: BenchResult = {
    median_ms: median(sorted),
    min_ms: sorted[0],
    max_ms: sorted[sorted.length - 1],
    mean_ms: ts.reduce((a, b) => a + b, 0) / ts.length,
    iters: n,
    warmup: wt.length,
  };
  if (notes.length) r.note = notes.join("; ");
  return r;
}

/**
 * Times a workload and adds GFLOPS where defined; an exception becomes `{ error }`.
 *
 * @param w The workload.
 * @param build Builds the step (setup is not timed).
 * @param p The protocol settings.
 * @returns The timing or the error.
 */
export async function runWorkload(
  w: Workload,
  build: () => () => Promise<unknown>,
  p: Protocol,
): Promise<BenchResult | { error: string }> {
  try {
    const r = await timeBench(build(), p);
    const fl = flopsOf(w);
    if (fl) r.gflops = fl / (r.median_ms * 1e6);
    return r;
  } catch (e) {
    const err = e as Error;
    return { error: `${err?.name ?? "Error"}: ${err?.message ?? String(e)}` };
  }
}
