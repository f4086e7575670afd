/**
 * The TensorFlow.js peer of `bench.ts`: W1 to W4 of ../shared/bench/spec.json
 * on TensorFlow.js's plain-JavaScript CPU backend (`@tensorflow/tfjs-backend-cpu`),
 * timed with the same protocol (`protocol.ts`) and written as JSON in
 * torch_bench.py's format. The npm package (`@tensorflow/tfjs`) is imported
 * dynamically here, in `_tools/` only, so it never becomes a dependency of a
 * Dendrite package.
 *
 * TensorFlow.js's CPU convolutions take NHWC inputs and `[kh, kw, in, out]`
 * filters; the workloads use those layouts with the same sizes.
 *
 * Run: `deno run -A --no-lock _tools/bench/tfjs_bench.ts [--only=W1,W3] [--out=tfjs.json]`
 *
 * @module
 */
import {
  type BenchResult,
  loadSpec,
  parseArgs,
  randomLabels,
  runWorkload,
  selected,
  type Workload,
} from "./protocol.ts";

const VERSION = "4.22.0";
// The umbrella package: tfjs-core's own builds register neither gradients nor
// chained methods (`t.reshape()`), and its ESM files cannot be imported one by
// one outside a bundler. Its "cpu" backend is @tensorflow/tfjs-backend-cpu.
// The specifier is built at run time, so type checking and the lock file never see it.
// deno-lint-ignore no-explicit-any
const tf: any = await import(["npm:@tensorflow", `tfjs@${VERSION}`].join("/"));
await tf.setBackend("cpu");
await tf.ready();

// deno-lint-ignore no-explicit-any
type TfTensor = any;

const args = parseArgs(Deno.args);
const spec = await loadSpec();
const only = args.only?.split(",").filter(Boolean);
const kinds = new Set(["matmul", "conv2d", "mlp", "cnn"]);

let seedCounter = 0;
function uniformVar(shape: number[], fanIn: number, seed: number): TfTensor {
  const b = 1 / Math.sqrt(fanIn);
  return tf.variable(tf.randomUniform(shape, -b, b, "float32", seed + seedCounter++));
}

/** Awaits one element of the result, then frees it. */
async function readBack(t: TfTensor): Promise<number> {
  const first = tf.tidy(() => t.reshape([-1]).slice([0], [1]));
  const v = (await first.data())[0];
  first.dispose();
  t.dispose();
  return v;
}

/** A BatchNorm2d in training mode over NHWC input, updating running statistics. */
function batchNorm(c: number): { apply: (x: TfTensor) => TfTensor; vars: TfTensor[] } {
  const gamma = tf.variable(tf.ones([c])), beta = tf.variable(tf.zeros([c]));
  const runMean = tf.variable(tf.zeros([c]), false), runVar = tf.variable(tf.ones([c]), false);
  return {
    vars: [gamma, beta],
    apply: (x: TfTensor) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const n = x.size / c;
      tf.tidy(() => {
        runMean.assign(runMean.mul(0.9).add(mean.mul(0.1)));
        runVar.assign(runVar.mul(0.9).add(variance.mul(0.1 * n / (n - 1))));
      });
      return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
    },
  };
}

function build(w: Workload, seed: number): () => Promise<number> {
  if (w.kind === "matmul") {
    const a = tf.randomNormal([w.n, w.n], 0, 1, "float32", seed);
    const b = tf.randomNormal([w.n, w.n], 0, 1, "float32", seed + 1);
    return () => readBack(tf.matMul(a, b));
  }
  if (w.kind === "conv2d") {
    const x = tf.randomNormal([w.n, w.hw, w.hw, w.cin], 0, 1, "float32", seed);
    const f = tf.randomNormal(
      [w.k, w.k, w.cin, w.cout],
      0,
      1 / Math.sqrt(w.k ** 2 * w.cin),
      "float32",
      seed + 1,
    );
    const pad = w.pad === (w.k - 1) / 2 ? "same" : [[0, 0], [w.pad, w.pad], [w.pad, w.pad], [0, 0]];
    const conv = (x: TfTensor, f: TfTensor) => tf.conv2d(x, f, 1, pad);
    if (!w.backward) return () => readBack(conv(x, f));
    const ho = w.hw + 2 * w.pad - w.k + 1;
    const dy = tf.randomNormal([w.n, ho, ho, w.cout], 0, 1, "float32", seed + 2);
    const grads = tf.grads(conv);
    return async () => {
      const [gx, gw] = grads([x, f], dy);
      return (await readBack(gx)) + (await readBack(gw));
    };
  }
  let forward: (x: TfTensor) => TfTensor;
  let x: TfTensor, classes: number, batch: number;
  const vars: TfTensor[] = [];
  const dense = (i: number, o: number) => {
    const W = uniformVar([i, o], i, seed), b = tf.variable(tf.zeros([o]));
    vars.push(W, b);
    return (h: TfTensor) => tf.add(tf.matMul(h, W), b);
  };
  if (w.kind === "mlp") {
    const s: number[] = w.sizes;
    const layers = s.slice(1).map((o, i) => dense(s[i], o));
    forward = (h) => {
      layers.forEach((l, i) => (h = i + 1 < layers.length ? tf.relu(l(h)) : l(h)));
      return h;
    };
    batch = w.batch, classes = s[s.length - 1];
    x = tf.randomNormal([batch, s[0]], 0, 1, "float32", seed);
  } else if (w.kind === "cnn") {
    const f1 = uniformVar([3, 3, 1, 32], 9, seed), f2 = uniformVar([3, 3, 32, 64], 288, seed);
    vars.push(f1, f2);
    const bn1 = batchNorm(32), bn2 = batchNorm(64);
    vars.push(...bn1.vars, ...bn2.vars);
    const fc1 = dense(3136, 128), fc2 = dense(128, 10);
    const block = (h: TfTensor, f: TfTensor, bn: typeof bn1) =>
      tf.maxPool(tf.relu(bn.apply(tf.conv2d(h, f, 1, "same"))), 2, 2, "valid");
    forward = (h) => {
      h = block(block(h, f1, bn1), f2, bn2);
      return fc2(tf.relu(fc1(h.reshape([h.shape[0], -1]))));
    };
    batch = w.batch, classes = 10;
    x = tf.randomNormal([batch, 28, 28, 1], 0, 1, "float32", seed);
  } else {
    throw new Error(`Cannot build workload ${w.id}: kind ${w.kind} is not supported`);
  }
  const y = tf.oneHot(tf.tensor1d(randomLabels(batch, classes, seed + 101), "int32"), classes);
  const opt = tf.train.adam(w.lr, 0.9, 0.999, 1e-8);
  return () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)), true, vars);
    return readBack(loss);
  };
}

const results: Record<string, BenchResult | { error: string }> = {};
const started = new Date().toISOString();
for (const w of spec.workloads) {
  if (!kinds.has(w.kind) || !selected(w.id, only)) continue;
  const t0 = performance.now();
  results[w.id] = await runWorkload(w, () => build(w, spec.seed), spec);
  console.error(
    `[tfjs] ${w.id}: ${JSON.stringify(results[w.id])} (${
      ((performance.now() - t0) / 1000).toFixed(1)
    }s, ${tf.memory().numTensors} live tensors)`,
  );
}
const doc = {
  peer: "tfjs-cpu",
  started,
  finished: new Date().toISOString(),
  info: { library: "@tensorflow/tfjs-core", version: tf.version_core, backend: tf.getBackend() },
  spec_version: spec.version,
  results,
};
const text = JSON.stringify(doc, null, 2);
if (args.out) await Deno.writeTextFile(args.out, text + "\n");
else console.log(text);
