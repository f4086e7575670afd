/**
 * Replays the random PyTorch cases of `crosscheck.py` on a Dendrite backend
 * and reports each disagreement (values and the gradients of sum(out · r)).
 *
 *     deno run -A _tools/crosscheck/run.ts /tmp/cc [--backend cpu|webgpu|webgpu-local]
 *
 * `webgpu` makes WebGPU the current backend; `webgpu-local` keeps the CPU
 * current and moves only the inputs, which catches constants an op creates
 * on the current backend instead of its inputs'. Exits 1 on any mismatch.
 *
 * @module
 */
// deno-lint-ignore-file no-explicit-any
import * as T from "@dendrite/tensor";
import type { Tensor } from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import * as L from "@dendrite/losses";
import * as Ly from "@dendrite/layers";
import * as O from "@dendrite/optimizers";
import { type FixtureTensor, fromFixture } from "@dendrite/tensor/testing";

const dir = Deno.args.find((a) => !a.startsWith("--"));
const backend = Deno.args.find((a) => a.startsWith("--backend="))?.slice(10) ?? "cpu";
if (!dir) {
  console.error("usage: run.ts DIR [--backend=cpu|webgpu|webgpu-local]");
  Deno.exit(2);
}
if (backend !== "cpu") {
  await T.initWebGPU({ allowSoftware: true });
  if (backend === "webgpu") T.setBackend("webgpu");
}
const device = backend === "cpu" ? "cpu" : "webgpu";

/** JSON with Python's NaN and infinities. */
function parse(text: string): any {
  // Only bare tokens (after ":", "," or "["), not names such as "zeroInfinity".
  return JSON.parse(
    text.replace(/([:,[]\s*)(-?)Infinity/g, "$1$21e999").replace(/([:,[]\s*)NaN/g, "$1null"),
  );
}

/** Worst |got − want| / (atol + rtol·|want|); NaN must meet NaN. */
function worst(
  got: ArrayLike<number>,
  want: (number | null)[],
  atol: number,
  rtol: number,
): number {
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    const v = want[i];
    if (v === null) {
      if (!Number.isNaN(got[i])) return Infinity;
      continue;
    }
    if (got[i] === v) continue;
    const e = Math.abs(got[i] - v) / (atol + rtol * Math.abs(v));
    if (!(e <= w)) w = Number.isNaN(e) ? Infinity : e;
  }
  return w;
}

const opt = (v: unknown) => (v === null ? undefined : v as any);
const opt_ = opt;

/** The Dendrite call of each op of the generic families. */
function call(op: string, a: any, xs: Tensor[]): Tensor {
  const [x, y, z] = xs;
  const flat = (ts: Tensor[]) => T.cat(ts.map((t) => t.reshape([-1])));
  const r = { reduction: a.reduction };
  switch (op) {
    case "convTranspose2d":
    case "conv2d":
      return (T as any)[op](x, y, { ...a, bias: z });
    case "conv1d":
    case "convTranspose1d":
      return (T as any)[op](x, y, a);
    case "maxPool2d":
      return T.maxPool2d(x, a.kernel, a);
    case "maxPool2dIdx":
      return T.maxPool2dWithIndices(x, a.kernel, a).indices;
    case "avgPool2d":
      return T.avgPool2d(x, a.kernel, { ...a, divisorOverride: opt(a.divisorOverride) });
    case "adaptiveAvgPool2d":
      return T.adaptiveAvgPool2d(x, a.size);
    case "adaptiveMaxPool2d":
      return T.adaptiveMaxPool2d(x, a.size).values;
    case "interpolate":
      return T.interpolate(x, {
        size: opt(a.size),
        scaleFactor: opt(a.scaleFactor),
        mode: a.mode,
        alignCorners: opt(a.alignCorners),
      });
    case "unfold":
      return T.unfold(x, a.kernel, a);
    case "fold":
      return T.fold(x, a.outputSize, a.kernel, a);
    case "pad":
      return T.pad(x, a.pads, a);
    case "prod":
      return a.axis === null ? T.prod(x) : T.prod(x, a.axis, a);
    case "sum":
    case "mean":
    case "amax":
    case "amin":
    case "logsumexp":
    case "variance":
    case "std":
      return (T as any)[op](x, opt(a.axes), a);
    case "norm":
      return T.norm(x, {
        axes: opt(a.axes),
        keepDim: a.keepDim,
        p: a.p === "inf" ? Infinity : a.p === "-inf" ? -Infinity : Number(a.p),
      });
    case "cumsum":
    case "cumprod":
    case "softmax":
    case "logSoftmax":
      return (T as any)[op](x, a.axis);
    case "median":
      return T.median(x, a.axis, a).values;
    case "medianIdx":
      return T.median(x, a.axis, a).indices;
    case "maxAlong":
      return T.maxAlong(x, a.axis, a).values;
    case "argmax":
      return T.argmax(x, a.axis, a);
    case "floorDivide":
    case "remainder":
    case "fmod":
    case "atan2":
      return (T as any)[op](x, y);
    case "lerp":
      return T.lerp(x, y, a.w);
    case "isclose":
      return T.isclose(x, y);
    case "gridSample":
      return T.gridSample(x, y, a);
    case "affineGrid":
      return T.affineGrid(x, a.size, a);
    case "bincount":
      return T.bincount(x, { minlength: a.minlength, weights: a.weights ? y : undefined });
    case "histc":
      return T.histc(x, a);
    case "ctc":
      return L.ctcLoss(T.logSoftmax(x, 2), y, z, xs[3], a);
    case "multiLabelSoftMargin":
      return L.multiLabelSoftMarginLoss(x, y, { ...r, weight: a.weight ? z : undefined });
    case "tripletDistance":
      return L.tripletMarginWithDistanceLoss(x, y, z, a);
    case "glu":
      return T.glu(x, a.axis);
    case "tanhshrink":
      return T.tanhshrink(x);
    case "rreluEval":
      return T.rrelu(x, a);
    case "pixelShuffle":
      return T.pixelShuffle(x, a.factor);
    case "pixelUnshuffle":
      return T.pixelUnshuffle(x, a.factor);
    case "trace":
      return T.trace(x);
    case "embedding":
      return T.embedding(y, x, { paddingIdx: opt(a.paddingIdx) });
    case "mha": {
      const m = new Ly.MultiheadAttention(a.embedDim, a.numHeads, a);
      const named: Record<string, Tensor> = {};
      a.names.forEach((n: string, i: number) => (named[n] = xs[i]));
      a.consts.forEach((n: string, i: number) => (named[n] = xs[a.names.length + i]));
      // The drawn weights stand in for the parameters (as plain tensors, so
      // that their gradients are the inputs').
      const slot = m as any;
      for (const n of ["in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"]) {
        slot[n] = named[n] ?? null;
      }
      slot.in_proj_bias = named.in_proj_bias ?? null;
      slot.bias_k = named.bias_k ?? null;
      slot.bias_v = named.bias_v ?? null;
      slot.out_proj.weight = named["out_proj.weight"];
      slot.out_proj.bias = named["out_proj.bias"] ?? null;
      const [o, w] = m.call(named.query, named.key, named.value, {
        keyPaddingMask: named.keyPaddingMask,
        attnMask: named.attnMask,
        needWeights: a.needWeights,
        averageAttnWeights: a.averageAttnWeights,
      });
      return w ? T.cat([o.reshape([-1]), w.reshape([-1])]) : o.reshape([-1]);
    }
    case "recurrent": {
      const o = { ...a, projSize: a.projSize || undefined };
      const m = a.kind === "LSTM"
        ? new Ly.LSTM(a.inputSize, a.hiddenSize, o)
        : a.kind === "GRU"
        ? new Ly.GRU(a.inputSize, a.hiddenSize, o)
        : new Ly.RNN(a.inputSize, a.hiddenSize, o);
      const states = xs.slice(1, 1 + a.states);
      // The drawn weights stand in for the parameters.
      a.names.forEach((n: string, i: number) => ((m as any)[n] = xs[1 + a.states + i]));
      const flat = (ts: Tensor[]) => T.cat(ts.map((t) => t.reshape([-1])));
      if (a.kind === "LSTM") {
        const [out, [h, c]] = m.call(x, states.length ? states : undefined);
        return flat([out, h, c]);
      }
      const [out, h] = m.call(x, states[0]);
      return flat([out, h]);
    }
    case "maxUnpool2d": {
      const o = { stride: a.stride, padding: a.padding };
      const { values, indices } = T.maxPool2dWithIndices(x, a.kernel, o);
      return T.maxUnpool2d(values, indices, a.kernel, {
        ...o,
        outputSize: [x.shape[2], x.shape[3]],
      });
    }
    case "normalize":
      return T.normalize(x, a);
    case "cdist":
      return T.cdist(x, y, { p: a.p === "inf" ? Infinity : Number(a.p) });
    case "meshgrid":
      return T.cat(T.meshgrid(xs, a).map((t) => t.reshape([-1])));
    case "diagonal":
      return T.diagonal(x, a.offset, a.axis1, a.axis2);
    case "diag":
      return T.diag(x, a.offset);
    case "repeatInterleave":
      return T.repeatInterleave(x, a.repeats, a.axis);
    case "sort":
      return T.sort(x, a.axis, a).values;
    case "sortIdx":
      return T.sort(x, a.axis, a).indices;
    case "topk":
      return T.topk(x, a.k, a).values;
    case "geluTanh":
      return T.gelu(x, { approximate: "tanh" });
    case "leakyRelu":
      return T.leakyRelu(x, { negativeSlope: a.slope });
    case "elu":
    case "celu":
    case "softplus":
    case "softshrink":
    case "hardshrink":
      return (T as any)[op](x, a);
    case "hardtanh":
      return T.hardtanh(x, { minVal: a.min, maxVal: a.max });
    case "clamp":
      return T.clamp(x, { min: opt(a.min), max: opt(a.max) });
    case "threshold":
      return T.threshold(x, a.threshold, a.value);
    case "powScalar":
      return T.pow(x, a.e);
    case "rpow":
      return T.pow(a.b, x);
    case "crossEntropy":
    case "nllLoss": {
      const o = { ...r, labelSmoothing: a.labelSmoothing, ignoreIndex: opt(a.ignoreIndex) };
      const w = a.weight ? z : undefined;
      return op === "nllLoss"
        ? L.nllLoss(T.logSoftmax(x, 1), y, { ...o, weight: w })
        : L.crossEntropy(x, y, { ...o, weight: w });
    }
    case "crossEntropySoft":
      return L.crossEntropy(x, y, {
        ...r,
        labelSmoothing: a.labelSmoothing,
        weight: a.weight ? z : undefined,
      });
    case "bce":
      return L.binaryCrossEntropy(x, y, { ...r, weight: a.weight ? z : undefined });
    case "bceLogits": {
      const rest = xs.slice(2);
      const weight = a.weight ? rest.shift() : undefined,
        posWeight = a.posWeight ? rest.shift() : undefined;
      return L.binaryCrossEntropyWithLogits(x, y, { ...r, weight, posWeight });
    }
    case "klDiv":
      return L.klDiv(x, y, a);
    case "multiMargin":
      return L.multiMarginLoss(x, y, { ...a, weight: a.weight ? z : undefined });
    case "softMargin":
      return L.softMarginLoss(x, y, r);
    case "hingeEmbedding":
      return L.hingeEmbeddingLoss(x, y, a);
    case "marginRanking":
      return L.marginRankingLoss(x, y, z, a);
    case "cosineEmbedding":
      return L.cosineEmbeddingLoss(x, y, z, a);
    case "cosineSimilarity":
      return L.cosineSimilarity(x, y, a);
    case "triplet":
      return L.tripletMarginLoss(x, y, z, a);
    case "mse":
      return L.mseLoss(x, y, r);
    case "l1":
      return L.l1Loss(x, y, r);
    case "smoothL1":
      return L.smoothL1Loss(x, y, a);
    case "huber":
      return L.huberLoss(x, y, a);
    case "poissonNll":
      return L.poissonNllLoss(x, y, a);
    case "gaussianNll":
      return L.gaussianNllLoss(x, z, y, a);
    case "gather":
      return T.gather(x, a.axis, y);
    case "scatterAdd":
      return T.scatterAdd(x, a.axis, z, y);
    case "indexSelect":
      return T.indexSelect(x, a.axis, y);
    case "roll":
      return T.roll(x, a.shifts, a.axes);
    case "flip":
      return T.flip(x, a.axes);
    case "tril":
    case "triu":
      return (T as any)[op](x, a.k);
    case "repeat":
      return T.repeat(x, a.reps);
    case "narrow":
      return T.narrow(x, a.axis, a.start, a.length);
    case "cat":
    case "stack":
      return (T as any)[op](xs, a.axis);
    case "split":
      return flat(T.split(x, a.size, a.axis));
    case "chunk":
      return flat(T.chunk(x, a.chunks, a.axis));
    case "slice":
      return T.slice(x, a.spec);
    case "maskedFill":
      return T.maskedFill(x, y, a.value);
    case "index": {
      const spec: (Tensor | null)[] = x.shape.map(() => null);
      a.adv.forEach((d: number, k: number) => (spec[d] = xs[1 + k]));
      return T.index(x, spec);
    }
  }
  // Unary and binary elementwise ops under their own names.
  return (T as any)[op](...xs);
}

const fails: Record<string, number> = {}, counts: Record<string, number> = {};
function report(key: string, message: string): void {
  fails[key] = (fails[key] ?? 0) + 1;
  if (fails[key] <= 5) console.log(`${key}: ${message}`);
}

async function on(t: Tensor, grad: boolean): Promise<Tensor> {
  if (backend !== "webgpu-local") return grad ? t.detach().requiresGrad_() : t;
  const m = await t.to("webgpu");
  return grad ? m.detach().requiresGrad_() : m;
}

/**
 * Cases that need values WebGPU cannot read synchronously, as documented:
 * histc's range from the data, bincount's length from its largest value.
 * They are skipped (and counted) there.
 */
function needsHostValues(c: any): boolean {
  if (device === "cpu") return false;
  if (c.op === "histc") return c.args.min === c.args.max;
  if (c.op === "bincount") return !(c.args.minlength > Math.max(-1, ...c.inputs[0].data));
  return false;
}

/** Inputs read on the host by design (CTC's targets and lengths) stay on the CPU. */
const hostInputs: Record<string, number> = { ctc: 1 };

let skipped = 0;

async function generic(cases: any[]): Promise<void> {
  for (const [i, c] of cases.entries()) {
    counts[c.op] = (counts[c.op] ?? 0) + 1;
    if (needsHostValues(c)) {
      skipped++;
      continue;
    }
    let msg = "";
    try {
      const xs = await Promise.all(
        c.inputs.map((f: FixtureTensor, k: number) =>
          k >= (hostInputs[c.op] ?? Infinity)
            ? fromFixture(f).to("cpu")
            : on(fromFixture(f), k < c.nGrad && (f.dtype ?? "float32") === "float32")
        ),
      );
      const out = call(c.op, c.args, xs);
      if (out.shape.join() !== c.output.shape.join()) {
        msg = `shape [${out.shape}], PyTorch [${c.output.shape}]`;
      } else if (worst(await out.data(), c.output.data, 1e-4, 1e-4) > 1) msg = "values";
      else if (c.grads) {
        const r = await fromFixture(c.r).to(out.backend.name);
        const wrt = xs.slice(0, c.nGrad);
        const gs = gradients(out.mul(r).sum(), wrt, { allowUnused: true });
        for (let k = 0; k < gs.length; k++) {
          if (worst(await gs[k].data(), c.grads[k].data, 1e-3, 1e-3) > 1) msg += ` gradient ${k}`;
        }
      }
    } catch (e) {
      msg = `throws ${(e as Error).message.slice(0, 160)}`;
    }
    if (msg) {
      report(
        c.op,
        `#${i} ${JSON.stringify(c.args)} on ${
          c.inputs.map((f: FixtureTensor) => f.shape.join("x")).join(", ")
        }: ${msg}`,
      );
    }
  }
}

function layer(s: any): Ly.Module {
  switch (s.cls) {
    case "BatchNorm1d":
    case "BatchNorm2d":
    case "InstanceNorm2d":
      return new (Ly as any)[s.cls](s.c, {
        eps: s.eps,
        momentum: s.momentum,
        affine: s.affine,
        trackRunningStats: s.track,
      });
    case "LayerNorm":
      return new Ly.LayerNorm(s.shape, { eps: s.eps, elementwiseAffine: s.affine });
    case "GroupNorm":
      return new Ly.GroupNorm(s.g, s.c, { eps: s.eps, affine: s.affine });
    case "LocalResponseNorm":
      return new Ly.LocalResponseNorm(s.size, s);
  }
  throw new Error(`unknown layer ${s.cls}`);
}

async function norms(cases: any[]): Promise<void> {
  for (const [i, c] of cases.entries()) {
    counts[c.spec.cls] = (counts[c.spec.cls] ?? 0) + 1;
    let msg = "";
    try {
      const m = layer(c.spec);
      m.loadStateDict(new Map(Object.entries(c.state).map(([k, v]) => [k, fromFixture(v as any)])));
      await m.to(device);
      m.train();
      m.call(await fromFixture(c.input2).to(device));
      const x = (await fromFixture(c.input).to(device)).detach().requiresGrad_();
      const out = m.call(x);
      if (worst(await out.data(), c.output.data, 1e-4, 1e-3) > 1) msg += " output";
      const params = m.namedParameters();
      const r = await fromFixture(c.r).to(device);
      const gs = gradients(out.mul(r).sum(), [x, ...params.map(([, p]) => p)], {
        allowUnused: true,
      });
      if (worst(await gs[0].data(), c.inputGrad.data, 1e-4, 1e-3) > 1) msg += " input gradient";
      for (let k = 0; k < params.length; k++) {
        const want = c.paramGrads[params[k][0]].data;
        if (worst(await gs[k + 1].data(), want, 1e-4, 1e-3) > 1) msg += ` ${params[k][0]} gradient`;
      }
      for (const [k, v] of m.stateDict()) {
        if (worst(await v.data(), c.stateAfter[k].data, 1e-4, 1e-3) > 1) msg += ` ${k} after`;
      }
      m.eval();
      const ev = m.call(await fromFixture(c.input).to(device));
      if (worst(await ev.data(), c.evalOutput.data, 1e-4, 1e-3) > 1) msg += " eval output";
    } catch (e) {
      msg = `throws ${(e as Error).message.slice(0, 160)}`;
    }
    if (msg) report(c.spec.cls, `#${i} ${JSON.stringify(c.spec)}:${msg}`);
  }
}

async function optimizers(fx: any): Promise<void> {
  for (const [i, c] of fx.optimizers.entries()) {
    counts[c.cls] = (counts[c.cls] ?? 0) + 1;
    try {
      const p0 = (await T.tensor(c.p0).to(device)).requiresGrad_();
      const p1 = (await T.tensor(c.p1).to(device)).requiresGrad_();
      const t0 = await T.tensor(c.t0).to(device);
      const opt = new (O as any)[c.cls]([p0, p1], c.options);
      for (const [k, [w0, w1]] of c.trajectory.entries()) {
        opt.zeroGrad();
        p0.sub(t0).square().sum().mul(0.5).add(p1.mul(p1).mul(p1).sum().mul(0.1)).backward();
        opt.step();
        if (worst([...await p0.data(), ...await p1.data()], [...w0, ...w1], 1e-4, 1e-3) > 1) {
          report(c.cls, `#${i} ${JSON.stringify(c.options)}: step ${k + 1}`);
          break;
        }
      }
    } catch (e) {
      report(c.cls, `#${i} throws ${(e as Error).message.slice(0, 160)}`);
    }
  }
  for (const [i, c] of fx.schedulers.entries()) {
    counts[c.cls] = (counts[c.cls] ?? 0) + 1;
    try {
      const opt = new O.SGD([T.zeros([1], { requiresGrad: true })], { lr: c.lr, momentum: 0.9 });
      const s = new (O as any)[c.cls](opt, {
        ...c.options,
        stepSizeDown: opt_(c.options.stepSizeDown),
      });
      const group = opt.paramGroups[0].options;
      const got = [[group.lr, group.momentum]];
      for (let k = 1; k < c.lrs.length; k++) {
        if (c.metrics) s.step(c.metrics[k - 1]);
        else s.step();
        got.push([group.lr, group.momentum]);
      }
      if (worst(got.flat(), c.lrs.flat(), 1e-9, 1e-7) > 1) {
        report(c.cls, `#${i} ${JSON.stringify(c.options)}: rates or momenta`);
      }
    } catch (e) {
      report(c.cls, `#${i} throws ${(e as Error).message.slice(0, 160)}`);
    }
  }
}

for await (const entry of Deno.readDir(dir)) {
  if (!entry.name.endsWith(".json")) continue;
  const fx = parse(await Deno.readTextFile(`${dir}/${entry.name}`));
  if (fx.family === "norm") await norms(fx.cases);
  else if (fx.family === "optim") await optimizers(fx.cases);
  else await generic(fx.cases);
}
const total = Object.values(counts).reduce((a, b) => a + b, 0);
const failed = Object.values(fails).reduce((a, b) => a + b, 0);
const skip = skipped
  ? ` (${skipped} skipped: they need values ${backend} cannot read synchronously)`
  : "";
console.log(
  `${backend}: ${failed} of ${total} cases disagree with PyTorch${skip}`,
  JSON.stringify(fails),
);
if (failed) Deno.exit(1);
