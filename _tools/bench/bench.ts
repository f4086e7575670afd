/**
 * Dendrite against PyTorch (and TensorFlow.js's plain-JavaScript CPU backend)
 * on the workloads of ../shared/bench/spec.json that the CPU backend runs:
 * W1 matmul, W2 conv2d, W3 MLP training step, W4 CNN training step.
 *
 * Every column is measured in this run with the protocol of
 * ../shared/bench/README.md (see `protocol.ts`): 3 warm-ups, 10 iterations
 * each timed alone, median (min/max in the JSON), each step ending with an
 * awaited read-back of a value of its result. Dendrite runs up to four times:
 * with its native libraries (OpenBLAS, and oneDNN for convolutions), with
 * OpenBLAS only (`setDnnlEnabled(false)`; convolution workloads only, the
 * others never call oneDNN), without either (`setBlasEnabled`) on its
 * WebAssembly SIMD GEMM, and with none of them (`setWasmEnabled`), all in
 * TypeScript; PyTorch runs
 * ../shared/bench/torch_bench.py on OpenBLAS with 2 threads; TensorFlow.js
 * runs `tfjs_bench.ts` in a child process (npm packages fetched on first use,
 * `--no-lock` so the repo's lock file is untouched).
 *
 * Run: `deno run -A _tools/bench/bench.ts [--only=W1,W2,W3] [--no-torch]
 * [--no-tfjs] [--no-blas] [--no-dnnl] [--no-wasm] [--no-ts] [--out=results.json]`
 * (`--no-dnnl` skips the OpenBLAS-only column; `--no-blas` skips both native
 * columns)
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import { gradients, noGrad } from "@dendrite/autograd";
import { crossEntropy } from "@dendrite/losses";
import { Adam } from "@dendrite/optimizers";
import {
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
} from "@dendrite/layers";
import {
  type BenchResult,
  loadSpec,
  parseArgs,
  randomLabels,
  runWorkload,
  selected,
  sharedBench,
  type Spec,
  type Workload,
} from "./protocol.ts";
import { readBack } from "../../tensor/bench/read_back.ts";

type Outcome = BenchResult | { error: string };

const args = parseArgs(Deno.args);
const spec = await loadSpec();
const only = args.only?.split(",").filter(Boolean);
const kinds = new Set(["matmul", "conv2d", "mlp", "cnn"]);
const workloads = spec.workloads.filter((w) => kinds.has(w.kind) && selected(w.id, only));
if (!workloads.length) {
  console.error(`No workload selected by --only=${args.only} (W1 to W4 are supported)`);
  Deno.exit(2);
}
const ids = workloads.map((w) => w.id);

function zeroBiases(m: Module): void {
  noGrad(() => {
    for (const [name, p] of m.namedParameters()) if (name.endsWith("bias")) p.zero_();
  });
}

function labels(n: number, classes: number, seed: number): T.Tensor {
  return T.tensor(randomLabels(n, classes, seed), { shape: [n] });
}

/**
 * Builds one Dendrite step of a workload; setup happens here, untimed. Each
 * step runs in `tidy`, so what it created is freed inside the timed step, as
 * PyTorch frees a step's tensors when its function returns and the
 * TensorFlow.js peer disposes them (left to the garbage collector, fresh
 * arrays would cost page faults that the other two do not pay).
 */
function build(w: Workload, seed: number): () => Promise<number> {
  const rng = new T.Generator(seed);
  switch (w.kind) {
    case "matmul": {
      const a = T.randn([w.n, w.n], { rng }), b = T.randn([w.n, w.n], { rng });
      return () => T.tidy(() => readBack(T.matmul(a, b)));
    }
    case "conv2d": {
      const x = T.randn([w.n, w.cin, w.hw, w.hw], { rng });
      const wt = T.randn([w.cout, w.cin, w.k, w.k], { rng }).mul(1 / Math.sqrt(w.k ** 2 * w.cin));
      if (!w.backward) {
        return () => T.tidy(() => readBack(noGrad(() => T.conv2d(x, wt, { padding: w.pad }))));
      }
      x.requiresGrad_(), wt.requiresGrad_();
      const ho = w.hw + 2 * w.pad - w.k + 1;
      const dy = T.randn([w.n, w.cout, ho, ho], { rng });
      return () =>
        T.tidy(() => {
          const y = T.conv2d(x, wt, { padding: w.pad });
          const [gx, gw] = gradients(y, [x, wt], { gradOutputs: [dy] });
          return readBack(gx, gw);
        });
    }
    case "mlp":
    case "cnn": {
      let model: Sequential, x: T.Tensor, y: T.Tensor;
      if (w.kind === "mlp") {
        const s: number[] = w.sizes;
        const layers: Module[] = [];
        for (let i = 0; i + 1 < s.length; i++) {
          layers.push(new Linear(s[i], s[i + 1], { rng }));
          if (i + 2 < s.length) layers.push(new ReLU());
        }
        model = new Sequential(...layers);
        x = T.randn([w.batch, s[0]], { rng });
        y = labels(w.batch, s[s.length - 1], seed + 101);
      } else {
        // torch_bench.py's make_cnn(): both convolutions without bias.
        model = new Sequential(
          new Conv2d(1, 32, 3, { padding: 1, bias: false, rng }),
          new BatchNorm2d(32),
          new ReLU(),
          new MaxPool2d(2),
          new Conv2d(32, 64, 3, { padding: 1, bias: false, rng }),
          new BatchNorm2d(64),
          new ReLU(),
          new MaxPool2d(2),
          new Flatten(),
          new Linear(3136, 128, { rng }),
          new ReLU(),
          new Linear(128, 10, { rng }),
        );
        x = T.randn([w.batch, 1, 28, 28], { rng });
        y = labels(w.batch, 10, seed + 101);
      }
      zeroBiases(model);
      const opt = new Adam(model.parameters(), { lr: w.lr });
      return () =>
        T.tidy(() => {
          opt.zeroGrad();
          const loss = crossEntropy(model.call(x), y);
          loss.backward();
          opt.step();
          return readBack(loss);
        });
    }
  }
  throw new Error(`Cannot build workload ${w.id}: kind ${w.kind} is not supported`);
}

/** Runs a peer script that writes torch_bench.py's JSON; returns its results by id. */
async function peer(
  name: string,
  command: string,
  cmdArgs: string[],
  env: Record<string, string>,
  out: string,
): Promise<{ results: Record<string, Outcome>; info?: unknown }> {
  const t0 = performance.now();
  console.error(`[bench] running ${name} ...`);
  const r = await new Deno.Command(command, {
    args: cmdArgs,
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(r.stderr);
  if (r.code !== 0) {
    console.error(`[bench] ${name} failed (exit ${r.code}): ${err.slice(-800)}`);
    return { results: {} };
  }
  const doc = JSON.parse(await Deno.readTextFile(out));
  console.error(`[bench] ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { results: doc.results ?? {}, info: doc.info };
}

async function torchSide(): Promise<{ results: Record<string, Outcome>; info?: unknown }> {
  const out = await Deno.makeTempFile({ prefix: "torch_", suffix: ".json" });
  return await peer(
    "PyTorch",
    "/usr/bin/python3",
    [
      new URL("torch_bench.py", sharedBench).pathname,
      "--threads=2",
      `--only=${ids.join(",")}`,
      `--out=${out}`,
    ],
    {
      LD_LIBRARY_PATH: "/usr/lib/x86_64-linux-gnu/openblas-pthread",
      OPENBLAS_NUM_THREADS: "2",
    },
    out,
  );
}

async function tfjsSide(): Promise<{ results: Record<string, Outcome>; info?: unknown }> {
  const out = await Deno.makeTempFile({ prefix: "tfjs_", suffix: ".json" });
  return await peer(
    "TensorFlow.js (tfjs-backend-cpu)",
    Deno.execPath(),
    [
      "run",
      "-A",
      "--no-lock",
      new URL("tfjs_bench.ts", import.meta.url).pathname,
      `--only=${ids.join(",")}`,
      `--out=${out}`,
    ],
    {},
    out,
  );
}

type Side = Record<string, Outcome>;

type Sides = { blas: Side; blasOnly: Side; wasm: Side; ts: Side };

async function dendriteSide(s: Spec): Promise<Sides> {
  const blas: Side = {}, blasOnly: Side = {}, wasm: Side = {}, ts: Side = {};
  const haveBlas = T.blasInfo().enabled, haveWasm = T.wasmInfo().enabled;
  const haveDnnl = T.dnnlInfo().enabled;
  // [into, tag, BLAS, oneDNN, WebAssembly, run]
  const variants: [Side, string, boolean, boolean, boolean, boolean][] = [
    [blas, "blas", true, true, true, (haveBlas || haveDnnl) && !args["no-blas"]],
    [blasOnly, "blas-only", true, false, true, haveBlas && haveDnnl && !args["no-blas"]],
    [wasm, "wasm", false, false, true, haveWasm && !args["no-wasm"]],
    [ts, "ts", false, false, false, !args["no-ts"]],
  ];
  for (const w of workloads) {
    for (const [into, tag, useBlas, useDnnl, useWasm, run] of variants) {
      if (!run) continue;
      if (into === blasOnly && (args["no-dnnl"] || !["conv2d", "cnn"].includes(w.kind))) continue;
      T.setBlasEnabled(useBlas);
      T.setDnnlEnabled(useDnnl);
      T.setWasmEnabled(useWasm);
      try {
        into[w.id] = await runWorkload(w, () => build(w, s.seed), s);
      } finally {
        T.setBlasEnabled(true);
        T.setDnnlEnabled(true);
        T.setWasmEnabled(true);
      }
      console.error(`[dendrite ${tag}] ${w.id}: ${JSON.stringify(into[w.id])}`);
    }
  }
  return { blas, blasOnly, wasm, ts };
}

// PyTorch and Dendrite back to back, TensorFlow.js (minutes) last.
const torch = args["no-torch"] ? { results: {} } : await torchSide();
const info = T.blasInfo();
const wi = T.wasmInfo();
const di = T.dnnlInfo();
const wasmState = wi.enabled ? (wi.relaxed ? "SIMD with fused multiply-add" : "SIMD") : wi.reason;
const dendrite = await dendriteSide(spec);
const tfjs = args["no-tfjs"] ? { results: {} } : await tfjsSide();

const ms = (r: Outcome | undefined): number | undefined =>
  r && "median_ms" in r ? r.median_ms : undefined;
const fmt = (v: number | undefined): string =>
  v === undefined ? "-" : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
const cell = (r: Outcome | undefined): string =>
  !r ? "-" : "error" in r ? "error" : fmt(r.median_ms) + (r.note ? "*" : "");
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined ? "-" : `${(a / b).toFixed(2)}x`;
const gf = (r: Outcome | undefined): string =>
  r && "gflops" in r && r.gflops !== undefined ? r.gflops.toFixed(r.gflops < 10 ? 2 : 0) : "-";

const head = [
  "workload",
  "Dendrite OpenBLAS + oneDNN ms",
  "Dendrite OpenBLAS only ms",
  "Dendrite WASM ms",
  "Dendrite TS ms",
  "PyTorch ms",
  "TF.js CPU ms",
  "OpenBLAS + oneDNN / PyTorch",
  "OpenBLAS only / PyTorch",
  "TF.js / Dendrite WASM",
  "TF.js / Dendrite TS",
  "GFLOPS BLAS / WASM / TS / PyTorch / TF.js",
];
const rows = workloads.map((w) => {
  const b = dendrite.blas[w.id], o = dendrite.blasOnly[w.id];
  const m = dendrite.wasm[w.id], t = dendrite.ts[w.id];
  const p = torch.results[w.id], j = tfjs.results[w.id];
  const isMatmul = w.kind === "matmul";
  return [
    w.id,
    cell(b),
    cell(o),
    cell(m),
    cell(t),
    cell(p),
    cell(j),
    ratio(ms(b), ms(p)),
    ratio(ms(o), ms(p)),
    ratio(ms(j), ms(m)),
    ratio(ms(j), ms(t)),
    isMatmul ? [b, m, t, p, j].map(gf).join(" / ") : "",
  ];
});

console.log(
  `Dendrite CPU backend (${
    info.enabled ? `BLAS: ${info.library}` : `no BLAS: ${info.reason}`
  }; convolutions: ${
    di.enabled ? `oneDNN ${di.version} (${di.library})` : `no oneDNN: ${di.reason}`
  }; WebAssembly GEMM: ${wasmState}), Deno ${Deno.version.deno}; protocol: ${spec.warmup} warm-ups, median of ${spec.iters} runs ` +
    `(budget ${spec.budget_s} s per workload; * = protocol shortened, see the JSON notes)`,
);
console.log(`| ${head.join(" | ")} |`);
console.log(`|${head.map((_, i) => (i ? " ---: " : " --- ")).join("|")}|`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
const notes = workloads.flatMap((w) =>
  ([
    ["Dendrite BLAS", dendrite.blas],
    ["Dendrite OpenBLAS only", dendrite.blasOnly],
    ["Dendrite WASM", dendrite.wasm],
    ["Dendrite TS", dendrite.ts],
    ["PyTorch", torch.results],
    ["TF.js", tfjs.results],
  ] as const).flatMap(([who, res]) => {
    const r = res[w.id];
    if (!r) return [];
    if ("error" in r) return [`${w.id} ${who}: ${r.error}`];
    return r.note ? [`${w.id} ${who}: ${r.note}`] : [];
  })
);
for (const n of notes) console.log(`- ${n}`);

if (args.out) {
  await Deno.writeTextFile(
    args.out,
    JSON.stringify(
      {
        spec_version: spec.version,
        date: new Date().toISOString(),
        dendrite: {
          deno: Deno.version.deno,
          blasInfo: info,
          dnnlInfo: di,
          wasmInfo: wi,
          ...dendrite,
        },
        torch,
        tfjs,
      },
      null,
      2,
    ) + "\n",
  );
  console.error(`[bench] wrote ${args.out}`);
}
