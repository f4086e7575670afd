/**
 * Dendrite's WebGPU backend in GFLOPS: square matmuls (W1 sizes and the
 * issue's 4096), 3x3 convolutions (the W2 workloads and a 64-channel one at
 * 56x56), and the W4 CNN training step, each first checked against the CPU
 * backend on the same inputs, then timed with the protocol of
 * ../shared/bench/README.md (warm-ups, median of timed runs, each ending with
 * an awaited read-back so queued GPU work is inside the timed region).
 *
 * Prints the adapter, a table (median ms, GFLOPS) and, with `--out`, the
 * JSON. `--software` allows a software adapter (llvmpipe: correct but slow;
 * use `--sizes=256 --only=W1` there). With `--torch=results.json` (written by
 * `torch_cuda_bench.py` on the same machine) it adds PyTorch's CUDA figures
 * and the ratios.
 *
 * Run: `deno task bench:gpu [--sizes=256,512,1024,4096] [--only=W1,W2,W4]
 * [--software] [--torch=file] [--out=file]`
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
  ReLU,
  Sequential,
} from "@dendrite/layers";
import { type BenchResult, parseArgs, selected, timeBench } from "./protocol.ts";
import { readBack } from "../../tensor/bench/read_back.ts";

const args = parseArgs(Deno.args);
const only = args.only?.split(",").filter(Boolean);
const sizes = (args.sizes ?? "256,512,1024,2048,4096").split(",").map(Number);
const protocol = { warmup: 3, iters: 10, min_iters: 3, budget_s: 20 };

const info = await T.initWebGPU({ allowSoftware: !!args.software });
const adapter = [info.adapter.vendor, info.adapter.architecture, info.adapter.device]
  .concat(info.adapter.description).filter(Boolean).join(" / ");
console.log(`WebGPU adapter: ${adapter}${info.software ? " (software)" : ""}`);
console.log(`limits: ${JSON.stringify(info.limits)}`);

/** Largest |gpu − cpu| relative to the largest |cpu|. */
async function relErr(gpu: T.Tensor, cpu: T.Tensor): Promise<number> {
  const g = await gpu.data(), c = cpu.dataSync();
  let diff = 0, scale = 1e-12;
  for (let i = 0; i < c.length; i++) {
    diff = Math.max(diff, Math.abs(Number(g[i]) - Number(c[i])));
    scale = Math.max(scale, Math.abs(Number(c[i])));
  }
  return diff / scale;
}

interface Case {
  id: string;
  flops?: number;
  check: () => Promise<number>;
  build: () => () => Promise<number>;
}

const rng = new T.Generator(1234);
const cases: Case[] = [];

for (const n of sizes) {
  const a = T.randn([n, n], { rng }), b = T.randn([n, n], { rng });
  cases.push({
    id: `W1_matmul_${n}`,
    flops: 2 * n ** 3,
    check: async () => {
      // The CPU reference of a 4096 matmul is slow: check on a corner block.
      const m = Math.min(n, 512);
      const as = a.slice([[0, m]]), ag = await as.to("webgpu"), bg = await b.to("webgpu");
      return relErr(T.matmul(ag, bg), T.matmul(as, b));
    },
    build: () => {
      const ag = a.to("webgpu"), bg = b.to("webgpu");
      return async () => readBack(T.matmul(await ag, await bg));
    },
  });
}

const convs: [string, number, number, number, number, boolean][] = [
  ["W2_conv_a_fwd", 64, 1, 32, 28, false],
  ["W2_conv_a_fwdbwd", 64, 1, 32, 28, true],
  ["W2_conv_b_fwd", 64, 32, 64, 14, false],
  ["W2_conv_b_fwdbwd", 64, 32, 64, 14, true],
  ["conv3x3_64ch_56_fwd", 32, 64, 64, 56, false],
  ["conv3x3_64ch_56_fwdbwd", 32, 64, 64, 56, true],
];
for (const [id, n, cin, cout, hw, backward] of convs) {
  const x = T.randn([n, cin, hw, hw], { rng });
  const w = T.randn([cout, cin, 3, 3], { rng }).mul(1 / Math.sqrt(9 * cin));
  const dy = T.randn([n, cout, hw, hw], { rng });
  const fwd = 2 * n * cout * hw * hw * cin * 9;
  const run = (xb: T.Tensor, wb: T.Tensor, dyb: T.Tensor): T.Tensor[] => {
    if (!backward) return [noGrad(() => T.conv2d(xb, wb, { padding: 1 }))];
    const xr = xb.detach().requiresGrad_(), wr = wb.detach().requiresGrad_();
    const y = T.conv2d(xr, wr, { padding: 1 });
    return gradients(y, [xr, wr], { gradOutputs: [dyb] });
  };
  cases.push({
    id,
    flops: backward ? 3 * fwd : fwd,
    check: async () => {
      const k = Math.min(n, 4);
      const xs = x.slice([[0, k]]), dys = dy.slice([[0, k]]);
      const cpu = run(xs, w, dys);
      const gpu = run(await xs.to("webgpu"), await w.to("webgpu"), await dys.to("webgpu"));
      let e = 0;
      for (let i = 0; i < cpu.length; i++) e = Math.max(e, await relErr(gpu[i], cpu[i]));
      return e;
    },
    build: () => {
      const moved = Promise.all([x.to("webgpu"), w.to("webgpu"), dy.to("webgpu")]);
      return async () => {
        const [xg, wg, dyg] = await moved;
        return T.tidy(() => readBack(...run(xg, wg, dyg)));
      };
    },
  });
}

function cnn(): Sequential {
  const r = new T.Generator(7);
  return new Sequential(
    new Conv2d(1, 32, 3, { padding: 1, bias: false, rng: r }),
    new BatchNorm2d(32),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(32, 64, 3, { padding: 1, bias: false, rng: r }),
    new BatchNorm2d(64),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(3136, 128, { rng: r }),
    new ReLU(),
    new Linear(128, 10, { rng: r }),
  );
}
{
  const x = T.randn([64, 1, 28, 28], { rng }), y = T.randint(0, 10, [64], { rng });
  cases.push({
    id: "W4_cnn_train_step",
    check: async () => {
      const cpu = cnn(), gpu = await cnn().to("webgpu");
      const lc = crossEntropy(cpu.call(x), y);
      const lg = crossEntropy(gpu.call(await x.to("webgpu")), await y.to("webgpu"));
      return relErr(lg, lc);
    },
    build: () => {
      const ready = (async () => {
        const model = await cnn().to("webgpu");
        return {
          model,
          opt: new Adam(model.parameters(), { lr: 1e-3 }),
          xg: await x.to("webgpu"),
          yg: await y.to("webgpu"),
        };
      })();
      return async () => {
        const { model, opt, xg, yg } = await ready;
        return T.tidy(() => {
          opt.zeroGrad();
          const loss = crossEntropy(model.call(xg), yg);
          loss.backward();
          opt.step();
          return readBack(loss);
        });
      };
    },
  });
}

let torch: Record<string, { median_ms?: number }> = {};
if (args.torch) torch = JSON.parse(await Deno.readTextFile(args.torch)).results ?? {};

const results: Record<string, BenchResult & { check_rel_err: number }> = {};
console.log(
  "| workload | max rel. error vs CPU | median ms | GFLOPS | PyTorch CUDA ms | Dendrite / PyTorch speed |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const c of cases) {
  if (!selected(c.id, only)) continue;
  const err = await c.check();
  const r = await timeBench(c.build(), protocol);
  const gflops = c.flops ? c.flops / (r.median_ms * 1e6) : undefined;
  results[c.id] = { ...r, ...(gflops ? { gflops } : {}), check_rel_err: err };
  const p = torch[c.id]?.median_ms;
  console.log(
    `| ${c.id} | ${err.toExponential(1)} | ${r.median_ms.toFixed(2)} | ${
      gflops ? gflops.toFixed(gflops < 10 ? 2 : 0) : "-"
    } | ${p ? p.toFixed(2) : "-"} | ${p ? `${(100 * p / r.median_ms).toFixed(0)}%` : "-"} |`,
  );
}
if (args.out) {
  await Deno.writeTextFile(
    args.out,
    JSON.stringify({ adapter: info.adapter, limits: info.limits, results }, null, 2) + "\n",
  );
}
