import assert from "node:assert/strict";
import { fromTypedArray, initWebGPU, type Tensor, tensor, zeros } from "@dendrite/tensor";
import { assertClose, loadFixtures } from "@dendrite/tensor/testing";
import * as O from "../mod.ts";

interface Fx {
  P0: number[][];
  P1: number[];
  T0: number[][];
  optimizers: Record<
    string,
    { options: Record<string, unknown>; class: string; trajectory: number[][][] }
  >;
  schedulers: Record<string, { options: Record<string, unknown>; class: string; lrs: number[] }>;
  plateau: { options: Record<string, number>; metrics: number[]; lrs: number[] };
  oneCycle: Record<string, { options: Record<string, unknown>; trajectory: number[][][] }>;
  lambda: { warmup: number[]; multiplicative: number[] };
  cyclic: Record<string, { options: Record<string, unknown>; values: number[][] }>;
  clip: {
    grads: number[][];
    shapes: number[][];
    maxNorm: number;
    results: Record<string, { total: number; grads: number[][] }>;
  };
}
const fx = await loadFixtures<Fx>(new URL("../testdata/optimizers.json", import.meta.url));

// deno-lint-ignore no-explicit-any
const classes: Record<string, any> = O;

// Every trajectory on the CPU and, where an adapter exists (llvmpipe here), on WebGPU.
const backends = ["cpu"];
if (await initWebGPU({ allowSoftware: true }).then(() => true, () => false)) {
  backends.push("webgpu");
}
for (const backend of backends) {
  for (const [name, c] of Object.entries(fx.optimizers)) {
    Deno.test(
      `${c.class} matches PyTorch's ${name} trajectory over ${c.trajectory.length} steps [${backend}]`,
      async () => {
        const p0 = (await tensor(fx.P0).to(backend)).requiresGrad_();
        const p1 = (await tensor(fx.P1).to(backend)).requiresGrad_();
        const t0 = await tensor(fx.T0).to(backend);
        const opt = new classes[c.class]([p0, p1], c.options);
        for (const [want0, want1] of c.trajectory) {
          opt.zeroGrad();
          p0.sub(t0).square().sum().mul(0.5).add(p1.mul(p1).mul(p1).sum().mul(0.1)).backward();
          opt.step();
          assertClose(await p0.data(), want0, { atol: 1e-5, rtol: 1e-4 });
          assertClose(await p1.data(), want1, { atol: 1e-5, rtol: 1e-4 });
        }
      },
    );
  }
}

for (const [name, c] of Object.entries(fx.schedulers)) {
  Deno.test(`${c.class} matches PyTorch's learning rates (${name})`, () => {
    const opt = new O.SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
    let s: O.LRScheduler;
    if (c.class === "SequentialLR") {
      s = new O.SequentialLR(opt, [
        new O.LinearLR(opt, { startFactor: 0.1, totalIters: 3 }),
        new O.CosineAnnealingLR(opt, { tMax: 6 }),
      ], [3]);
    } else s = new classes[c.class](opt, c.options);
    const got = [s.getLastLr()[0]];
    for (let i = 1; i < c.lrs.length; i++) {
      s.step();
      got.push(s.getLastLr()[0]);
    }
    assertClose(got, c.lrs, { atol: 1e-9, rtol: 1e-9 });
  });
}

for (const [name, c] of Object.entries(fx.oneCycle)) {
  Deno.test(`OneCycleLR cycles ${name}'s momentum as PyTorch does (parameter trajectory)`, () => {
    const p0 = tensor(fx.P0, { requiresGrad: true }), p1 = tensor(fx.P1, { requiresGrad: true });
    const t0 = tensor(fx.T0);
    const opt = new classes[name]([p0, p1], c.options);
    const n = c.trajectory.length;
    const sched = new O.OneCycleLR(opt, { maxLr: 0.5, totalSteps: n });
    c.trajectory.forEach(([want0, want1], i) => {
      opt.zeroGrad();
      p0.sub(t0).square().sum().mul(0.5).add(p1.mul(p1).mul(p1).sum().mul(0.1)).backward();
      opt.step();
      if (i < n - 1) sched.step();
      assertClose(p0.dataSync(), want0, { atol: 1e-5, rtol: 1e-4 });
      assertClose(p1.dataSync(), want1, { atol: 1e-5, rtol: 1e-4 });
    });
  });
}

Deno.test("LambdaLR and MultiplicativeLR match PyTorch's learning rates", () => {
  const rates = (make: (o: O.SGD) => O.LRScheduler, n: number) => {
    const opt = new O.SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
    const s = make(opt);
    const got = [s.getLastLr()[0]];
    for (let i = 1; i < n; i++) {
      s.step();
      got.push(s.getLastLr()[0]);
    }
    return got;
  };
  const warm = rates((o) => new O.LambdaLR(o, { lrLambda: (e) => Math.min(1, (e + 1) / 4) }), 13);
  assertClose(warm, fx.lambda.warmup, { atol: 1e-12 });
  const mult = rates(
    (o) => new O.MultiplicativeLR(o, { lrLambda: (e) => (e % 2 ? 0.9 : 0.8) }),
    13,
  );
  assertClose(mult, fx.lambda.multiplicative, { atol: 1e-12, rtol: 1e-9 });
});

for (const [name, c] of Object.entries(fx.cyclic)) {
  Deno.test(`CyclicLR (${name}) matches PyTorch's rates and momenta`, () => {
    const opt = new O.SGD([zeros([1], { requiresGrad: true })], { lr: 5, momentum: 0.5 });
    const s = new O.CyclicLR(opt, c.options as ConstructorParameters<typeof O.CyclicLR>[1]);
    const got = [[s.getLastLr()[0], opt.paramGroups[0].options.momentum]];
    for (let i = 1; i < c.values.length; i++) {
      s.step();
      got.push([s.getLastLr()[0], opt.paramGroups[0].options.momentum]);
    }
    assertClose(got.flat(), c.values.flat(), { atol: 1e-12, rtol: 1e-9 });
  });
}

Deno.test("OneCycleLR needs momentum or betas unless cycleMomentum is false", () => {
  const opt = new O.Adagrad([zeros([1], { requiresGrad: true })], { lr: 1 });
  assert.throws(
    () => new O.OneCycleLR(opt, { maxLr: 1, totalSteps: 4 }),
    /^RangeError: Cannot create OneCycleLR with cycleMomentum for Adagrad: it has neither momentum nor betas \(pass cycleMomentum: false\)$/,
  );
  const s = new O.OneCycleLR(opt, { maxLr: 1, totalSteps: 4, cycleMomentum: false });
  assert.ok(Math.abs(s.getLastLr()[0] - 0.04) < 1e-12);
  assert.equal("momentum" in opt.paramGroups[0].options, false);
});

Deno.test("ReduceLROnPlateau matches PyTorch's learning rates", () => {
  const opt = new O.SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
  const s = new O.ReduceLROnPlateau(opt, fx.plateau.options);
  const got = fx.plateau.metrics.map((m) => {
    s.step(m);
    return s.getLastLr()[0];
  });
  assertClose(got, fx.plateau.lrs, { atol: 1e-12 });
});

for (const [nt, r] of Object.entries(fx.clip.results)) {
  Deno.test(`clipGradNorm matches PyTorch for normType ${nt}`, () => {
    const ps = fx.clip.grads.map((g, i) => {
      const p = zeros(fx.clip.shapes[i], { requiresGrad: true });
      p.grad = fromTypedArray(Float32Array.from(g), fx.clip.shapes[i]);
      return p;
    });
    const total = O.clipGradNorm(ps, fx.clip.maxNorm, {
      normType: nt === "inf" ? Infinity : Number(nt),
    });
    assertClose(total, r.total, { rtol: 1e-5 });
    ps.forEach((p, i) => assertClose(p.grad!.dataSync(), r.grads[i], { atol: 1e-6, rtol: 1e-5 }));
  });
}

Deno.test("Optimizer parameter groups use their own hyperparameters", () => {
  const a = tensor([1], { requiresGrad: true });
  const b = tensor([1], { requiresGrad: true });
  const opt = new O.SGD([{ params: [a] }, { params: [b], options: { lr: 0.5 } }], { lr: 0.1 });
  a.square().add(b.square()).sum().backward();
  opt.step();
  assertClose(a, [0.8]);
  assertClose(b, [0]);
  assert.throws(
    () => new O.SGD([{ params: [a] }, { params: [a] }], { lr: 0.1 }),
    /Cannot create SGD: a parameter \(shape \[1\]\) appears in two groups/,
  );
});

Deno.test("Optimizer stateDict round trip resumes the same trajectory", () => {
  const run = (steps: number, resumeAt?: number) => {
    const w = tensor([1, -2, 3], { requiresGrad: true });
    let opt = new O.Adam([w], { lr: 0.1 });
    for (let i = 0; i < steps; i++) {
      if (i === resumeAt) {
        const sd = opt.stateDict();
        opt = new O.Adam([w], { lr: 0.1 });
        opt.loadStateDict(sd);
      }
      opt.zeroGrad();
      w.pow(4).sum().backward();
      opt.step();
    }
    return w.dataSync();
  };
  assertClose(run(6, 3), run(6));
});

Deno.test("Optimizers reject bad hyperparameters with the name and value", () => {
  const w = [tensor([1], { requiresGrad: true })];
  assert.throws(() => new O.Adam(w, { lr: -1 }), {
    name: "RangeError",
    message: "Cannot create Adam with lr = -1: expected a value in [0, Infinity)",
  });
  assert.throws(() => new O.Adam(w, { betas: [0.9, 1] }), {
    message: "Cannot create Adam with betas[1] = 1: expected a value in [0, 1)",
  });
  assert.throws(
    () => new O.SGD(w, { lr: 0.1, nesterov: true }),
    /Nesterov momentum needs momentum > 0/,
  );
  assert.throws(() => new O.SGD([], { lr: 0.1 }), /the parameter list is empty/);
});

Deno.test("clipGradValue clamps each element", () => {
  const w = tensor([3, -4, 0.5], { requiresGrad: true });
  w.grad = tensor([3, -4, 0.5]);
  O.clipGradValue([w], 1);
  assertClose(w.grad, [1, -1, 0.5]);
});

Deno.test("Optimizer.step skips parameters without gradients and keeps them", () => {
  const a: Tensor = tensor([1], { requiresGrad: true });
  const opt = new O.Adam([a]);
  opt.step();
  assertClose(a, [1]);
});

Deno.test("MultiplicativeLR computes each step's factor once", () => {
  let calls = 0;
  const opt = new O.SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
  const s = new O.MultiplicativeLR(opt, { lrLambda: () => (calls++, 0.99) });
  for (let i = 0; i < 100; i++) s.step();
  assert.equal(calls, 100);
  assertClose(s.getLastLr(), [0.99 ** 100], { rtol: 1e-12 });
});
