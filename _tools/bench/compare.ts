/**
 * Dendrite's side of the speed goals: the workloads of ../shared/bench/spec.json
 * (W1 matmul, W2 conv2d, W3 MLP step, W4 CNN step) timed with the shared
 * protocol (warm-up, then each iteration timed alone, median/min/max, a value
 * read back at the end of every iteration), on the CPU backend with native
 * BLAS and with the TypeScript kernels, next to PyTorch's figures from
 * ../shared/bench/torch_bench.py run in the same session.
 *
 * Run: `deno run -A _tools/bench/compare.ts [--only=W1,W3] [--no-torch] [--no-ts]`
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import { noGrad } from "@dendrite/autograd";
import { crossEntropy } from "@dendrite/losses";
import { Adam } from "@dendrite/optimizers";
import {
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
} from "@dendrite/layers";

const args = Object.fromEntries(
  Deno.args.filter((a) => a.startsWith("--")).map((a) => {
    const [k, v] = a.slice(2).split("=");
    return [k, v ?? "1"];
  }),
);
const shared = new URL("../../../shared/bench/", import.meta.url);
const spec = JSON.parse(await Deno.readTextFile(new URL("spec.json", shared)));
const only: string[] | undefined = args.only?.split(",");
const wanted = (id: string) => !only || only.some((o) => id.startsWith(o));
const kinds = new Set(["matmul", "conv2d", "mlp", "cnn"]);
// deno-lint-ignore no-explicit-any
const workloads: any[] = spec.workloads.filter((w: any) => kinds.has(w.kind) && wanted(w.id));

interface Stat {
  median: number;
  min: number;
  max: number;
}

function timeIt(step: () => T.Tensor): Stat {
  for (let i = 0; i < spec.warmup; i++) readBack(step());
  const times: number[] = [];
  const t0 = performance.now();
  while (
    times.length < spec.iters &&
    (times.length < spec.min_iters || performance.now() - t0 < spec.budget_s * 1000)
  ) {
    const s = performance.now();
    readBack(step());
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)],
    min: times[0],
    max: times[times.length - 1],
  };
}

function readBack(t: T.Tensor): number {
  return Number(t.reshape([-1]).slice([[0, 1]]).dataSync()[0]);
}

// deno-lint-ignore no-explicit-any
function build(w: any): () => T.Tensor {
  const rng = new T.Generator(spec.seed);
  switch (w.kind) {
    case "matmul": {
      const a = T.randn([w.n, w.n], { rng }), b = T.randn([w.n, w.n], { rng });
      return () => T.matmul(a, b);
    }
    case "conv2d": {
      const x = T.randn([w.n, w.cin, w.hw, w.hw], { rng });
      const weight = T.uniform(-1, 1, [w.cout, w.cin, w.k, w.k], { rng }).mul(
        1 / Math.sqrt(w.cin * w.k * w.k),
      );
      if (!w.backward) return () => T.conv2d(x, weight, { padding: w.pad });
      const xg = x.detach().requiresGrad_(), wg = weight.detach().requiresGrad_();
      const dy = T.randn([w.n, w.cout, w.hw, w.hw], { rng });
      return () => {
        xg.grad = null, wg.grad = null;
        T.conv2d(xg, wg, { padding: w.pad }).backward(dy);
        return wg.grad!.add(xg.grad!.sum());
      };
    }
    case "mlp": {
      const layers: Linear[] = [];
      for (let i = 0; i + 1 < w.sizes.length; i++) {
        layers.push(new Linear(w.sizes[i], w.sizes[i + 1], { rng }));
      }
      const model = new Sequential(
        ...layers.flatMap((l, i) => (i + 1 < layers.length ? [l, new ReLU()] : [l])),
      );
      zeroBiases(model);
      const opt = new Adam(model.parameters(), { lr: w.lr });
      const x = T.randn([w.batch, w.sizes[0]], { rng });
      const y = T.randint(0, w.sizes[w.sizes.length - 1], [w.batch], { rng });
      return () => {
        opt.zeroGrad();
        const loss = crossEntropy(model.call(x), y);
        loss.backward();
        opt.step();
        return loss;
      };
    }
    case "cnn": {
      const model = new Sequential(
        new Conv2d(1, 32, 3, { padding: 1, bias: false, rng }),
        new BatchNorm2d(32),
        new ReLU(),
        new MaxPool2d(2),
        new Conv2d(32, 64, 3, { padding: 1, rng }),
        new BatchNorm2d(64),
        new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(3136, 128, { rng }),
        new ReLU(),
        new Linear(128, 10, { rng }),
      );
      zeroBiases(model);
      const opt = new Adam(model.parameters(), { lr: w.lr });
      const x = T.randn([w.batch, 1, 28, 28], { rng });
      const y = T.randint(0, 10, [w.batch], { rng });
      return () => {
        opt.zeroGrad();
        const loss = crossEntropy(model.call(x), y);
        loss.backward();
        opt.step();
        return loss;
      };
    }
  }
  throw new Error(`unknown workload ${w.kind}`);
}

function zeroBiases(m: Sequential): void {
  noGrad(() => {
    for (const [name, p] of m.namedParameters()) if (name.endsWith("bias")) p.zero_();
  });
}

// deno-lint-ignore no-explicit-any
function gflops(w: any, ms: number): string {
  return w.kind === "matmul" ? (2 * w.n ** 3 / ms / 1e6).toFixed(1) : "";
}

async function torchTimes(): Promise<Record<string, Stat>> {
  if (args["no-torch"]) return {};
  const ids = [...new Set(workloads.map((w) => w.id.split("_")[0]))].join(",");
  const out = await Deno.makeTempFile({ suffix: ".json" });
  const cmd = new Deno.Command("/usr/bin/python3", {
    args: [
      new URL("torch_bench.py", shared).pathname,
      "--threads=2",
      `--only=${ids}`,
      `--out=${out}`,
    ],
    env: {
      LD_LIBRARY_PATH: "/usr/lib/x86_64-linux-gnu/openblas-pthread",
      OPENBLAS_NUM_THREADS: "2",
    },
    stdout: "null",
    stderr: "piped",
  });
  const r = await cmd.output();
  if (r.code !== 0) {
    console.error(
      `PyTorch side failed (${r.code}): ${new TextDecoder().decode(r.stderr).slice(-500)}`,
    );
    return {};
  }
  const j = JSON.parse(await Deno.readTextFile(out));
  const res: Record<string, Stat> = {};
  // deno-lint-ignore no-explicit-any
  for (const [id, v] of Object.entries<any>(j.results ?? j)) {
    if (v && typeof v.median_ms === "number") {
      res[id] = { median: v.median_ms, min: v.min_ms, max: v.max_ms };
    }
  }
  return res;
}

const rows: string[][] = [];
const torch = await torchTimes();
const blas = T.blasInfo();
for (const w of workloads) {
  T.setBlasEnabled(true);
  const withBlas = timeIt(build(w));
  let ts: Stat | undefined;
  if (!args["no-ts"]) {
    T.setBlasEnabled(false);
    ts = timeIt(build(w));
    T.setBlasEnabled(true);
  }
  const pt = torch[w.id];
  rows.push([
    w.id,
    withBlas.median.toFixed(2),
    ts ? ts.median.toFixed(2) : "-",
    pt ? pt.median.toFixed(2) : "-",
    pt ? (withBlas.median / pt.median).toFixed(2) + "x" : "-",
    gflops(w, withBlas.median),
    ts ? gflops(w, ts.median) : "",
  ]);
}
const head = [
  "workload",
  "Dendrite BLAS ms",
  "Dendrite TS ms",
  "PyTorch ms",
  "BLAS / PyTorch",
  "GFLOPS BLAS",
  "GFLOPS TS",
];
console.log(
  `Dendrite CPU backend, BLAS: ${
    blas.enabled ? blas.library : blas.reason
  }; medians of ${spec.iters} runs`,
);
console.log(`| ${head.join(" | ")} |`);
console.log(`| ${head.map(() => "---").join(" | ")} |`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
