import {
  argmax,
  cast,
  DTypeError,
  matmul,
  memory,
  mul,
  type Node,
  randn,
  record,
  ShapeError,
  type Tensor,
  tensor,
  tidy,
  where,
  zeros,
} from "@dendrite/tensor";
import {
  assertClose,
  assertThrowsMessage,
  type FixtureTensor,
  fromFixture,
  loadFixtures,
  testOnBackends,
} from "@dendrite/tensor/testing";
import { backward, gradients } from "@dendrite/autograd";
import assert from "node:assert/strict";

type Fx = Record<string, Record<string, FixtureTensor>>;
const fx = await loadFixtures<Fx>(new URL("../../tensor/testdata/autograd.json", import.meta.url));
const leaf = (f: FixtureTensor) => fromFixture(f, { requiresGrad: true });
const TOL = { atol: 1e-5, rtol: 1e-4 };

/** Every node reachable from `t` (through inputs still held by the graph). */
function graphNodes(t: Tensor): Node[] {
  const out: Node[] = [];
  const seen = new Set<Node>();
  const stack = t.gradFn ? [t.gradFn] : [];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    out.push(n);
    for (const i of n.inputs) if (i.gradFn) stack.push(i.gradFn);
  }
  return out;
}

// ---- backward(): seeds and errors ----

testOnBackends("backward seeds a one-element output with 1", () => {
  const x = tensor([1, -2, 3], { requiresGrad: true });
  x.mul(x).sum().backward();
  assertClose(x.grad!, [2, -4, 6]);
  // A [1, 1] output is a scalar too; backward(root) is the same function.
  const y = tensor([[2]], { requiresGrad: true });
  backward(y.mul(3));
  assertClose(y.grad!, [[3]]);
});

testOnBackends("backward of a leaf gives the seed itself", () => {
  const x = tensor([5], { requiresGrad: true });
  x.backward();
  assertClose(x.grad!, [1]);
});

testOnBackends("backward takes an explicit upstream gradient for non-scalar outputs", () => {
  const f = fx.broadcast;
  const a = leaf(f.a), b = leaf(f.b);
  a.mul(b).add(a).backward(fromFixture(f.g));
  // a [3] was broadcast against b [2, 3]: its gradient is summed back to [3].
  assert.deepEqual(a.grad!.shape, [3]);
  assertClose(a.grad!, fromFixture(f.ga), TOL);
  assertClose(b.grad!, fromFixture(f.gb), TOL);
});

testOnBackends("backward refuses a non-scalar output without an upstream gradient", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  assertThrowsMessage(
    () => x.mul(2).backward(),
    ShapeError,
    "Cannot run backward() from a tensor of shape [2, 3] without an upstream gradient: pass one of the same shape, or reduce to a scalar first",
  );
  assert.equal(x.grad, null);
});

testOnBackends("backward refuses a tensor that does not require grad", () => {
  assertThrowsMessage(
    () => tensor([1, 2]).sum().backward(),
    Error,
    "Cannot run backward(): the tensor (shape []) does not require grad and has no gradient function",
  );
  assertThrowsMessage(
    () => backward(tensor([1, 2]), tensor([1, 1])),
    Error,
    "Cannot run backward(): the tensor (shape [2]) does not require grad and has no gradient function",
  );
});

testOnBackends("backward refuses an upstream gradient of the wrong shape or dtype", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const y = x.mul(2);
  assertThrowsMessage(
    () => y.backward(zeros([3, 2])),
    ShapeError,
    "Cannot run backward() with an upstream gradient of shape [3, 2]: expected [2, 3]",
  );
  assertThrowsMessage(
    () => y.backward(zeros([2, 3], { dtype: "int32" })),
    DTypeError,
    "Cannot run backward() with an upstream gradient of dtype int32: expected float32",
  );
  // The failed calls released nothing: a valid call still works.
  y.backward(tensor([[1, 1, 1], [1, 1, 1]]));
  assertClose(x.grad!, [[2, 2, 2], [2, 2, 2]]);
});

testOnBackends("backward reports a gradient rule that returns the wrong shape", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const y = record("BadShape", x.detach().mul(2), [x], (dy) => [dy.sum(0)]);
  assertThrowsMessage(
    () => y.sum().backward(),
    ShapeError,
    "Cannot backward through BadShape: its gradient for input 0 has shape [3], expected [2, 3]",
  );
});

// ---- .grad bookkeeping ----

testOnBackends("grad accumulates across backward calls and zeroGrad clears it", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  x.mul(3).sum().backward();
  x.mul(x).sum().backward();
  assertClose(x.grad!, [3 + 2, 3 + 4]);
  x.zeroGrad();
  assert.equal(x.grad, null);
  x.mul(5).sum().backward();
  assertClose(x.grad!, [5, 5]);
});

testOnBackends("gradients of a backward without createGraph do not require grad", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  x.mul(x).sum().backward();
  assert.equal(x.grad!.requiresGrad, false);
  assert.equal(x.grad!.gradFn, null);
});

testOnBackends("detach shares data but cuts the graph", () => {
  const x = tensor([2, 3], { requiresGrad: true });
  const d = x.detach();
  assert.equal(d.storage, x.storage);
  assert.equal(d.requiresGrad, false);
  assert.ok(d.isLeaf);
  // d(x * stopgrad(x))/dx = x, not 2x.
  x.mul(d).sum().backward();
  assertClose(x.grad!, [2, 3]);
  // Detaching a non-leaf gives a leaf.
  const y = x.mul(2);
  assert.ok(!y.isLeaf && y.detach().isLeaf && !y.detach().requiresGrad);
});

testOnBackends("requiresGrad_ refuses int and bool tensors and non-leaves", () => {
  assertThrowsMessage(
    () => zeros([2], { dtype: "int32" }).requiresGrad_(),
    RangeError,
    "Cannot set requiresGrad on a int32 tensor in requiresGrad_(): only float32 tensors can require grad",
  );
  assertThrowsMessage(
    () => zeros([2], { dtype: "bool" }).requiresGrad_(true),
    RangeError,
    "Cannot set requiresGrad on a bool tensor in requiresGrad_(): only float32 tensors can require grad",
  );
  assertThrowsMessage(
    () => tensor([1], { dtype: "int32", requiresGrad: true }),
    RangeError,
    "Cannot set requiresGrad on a int32 tensor in requiresGrad_(): only float32 tensors can require grad",
  );
  const y = tensor([1], { requiresGrad: true }).mul(2);
  assertThrowsMessage(
    () => y.requiresGrad_(false),
    RangeError,
    "Cannot set requiresGrad = false on a non-leaf tensor in requiresGrad_(): use detach()",
  );
  // Turning it off on a float leaf is fine.
  const z = tensor([1], { requiresGrad: true }).requiresGrad_(false);
  assert.equal(z.requiresGrad, false);
});

testOnBackends("leaves get .grad, non-leaves only with retainGrad", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const c = tensor([1, 1, 1]);
  const h = x.mul(2);
  const k = x.mul(3).retainGrad();
  assert.ok(x.isLeaf && c.isLeaf && !h.isLeaf && !k.isLeaf);
  h.mul(k).sum().backward(undefined, { retainGraph: true });
  assert.equal(h.grad, null);
  assert.equal(c.grad, null);
  assertClose(k.grad!, h.detach()); // d(h·k)/dk = h
  assertClose(x.grad!, [12, 24, 36]); // d(6x²)/dx = 12x
  // A retained gradient accumulates like a leaf's.
  h.mul(k).sum().backward();
  assertClose(k.grad!, h.detach().mul(2));
  // retainGrad on a leaf is a no-op returning the tensor.
  assert.equal(x.retainGrad(), x);
});

testOnBackends("broadcast inputs receive gradients reduced to their own shapes", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const s = tensor(2, { requiresGrad: true });
  const col = tensor([[1], [-1]], { requiresGrad: true });
  x.mul(s).add(col).mul(col).sum().backward();
  assert.deepEqual(s.grad!.shape, []);
  assert.deepEqual(col.grad!.shape, [2, 1]);
  // d/ds Σ (x s + c) c = Σ x c;  d/dc_i = Σ_j (x_ij s + 2 c_i) with 3 columns
  assertClose(s.grad!, 1 + 2 + 3 - 4 - 5 - 6);
  assertClose(col.grad!, [[12 + 6 * 1], [30 - 6 * 1]]);
  assertClose(x.grad!, [[2, 2, 2], [-2, -2, -2]]);
});

testOnBackends("non-contiguous and empty inputs get gradients of their own layout", () => {
  const f = fx.mlp;
  const xT = fromFixture(f.x).transpose(0, 1).detach().requiresGrad_(); // [3, 4], strided
  assert.ok(!xT.isContiguous);
  const w = fromFixture(f.w), b = fromFixture(f.b);
  const loss = matmul(xT.transpose(0, 1), w).add(b).tanh().square().mean();
  loss.backward();
  assert.deepEqual(xT.grad!.shape, [3, 4]);
  assertClose(xT.grad!, fromFixture(f.gx).transpose(0, 1), TOL);
  // Only the sliced part of a leaf receives gradient.
  const y = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  y.slice("1, 1:").square().sum().backward();
  assertClose(y.grad!, [[0, 0, 0], [0, 10, 12]]);
  // Empty tensors flow through with empty gradients.
  const e = zeros([0, 3], { requiresGrad: true });
  e.mul(2).sum().backward();
  assert.deepEqual(e.grad!.shape, [0, 3]);
});

testOnBackends("backward matches PyTorch on a small network", () => {
  const f = fx.mlp;
  const x = leaf(f.x), w = leaf(f.w), b = leaf(f.b);
  const loss = matmul(x, w).add(b).tanh().square().mean().add(w.mul(w).sum().mul(0.1));
  assertClose(loss, fromFixture(f.loss), TOL);
  loss.backward();
  assertClose(x.grad!, fromFixture(f.gx), TOL);
  assertClose(w.grad!, fromFixture(f.gw), TOL);
  assertClose(b.grad!, fromFixture(f.gb), TOL);
});

testOnBackends("a tensor used twice (diamond) accumulates both paths", () => {
  const f = fx.diamond;
  const x = leaf(f.x), y = leaf(f.y);
  const z = x.mul(y);
  z.exp().add(z.sin().mul(z)).sum().backward();
  assertClose(x.grad!, fromFixture(f.gx), TOL);
  assertClose(y.grad!, fromFixture(f.gy), TOL);
  // x + x + x: one leaf, three uses.
  const t = tensor([1, 2], { requiresGrad: true });
  t.add(t).add(t).sum().backward();
  assertClose(t.grad!, [3, 3]);
});

testOnBackends("a chain of 10000 ops runs backward without overflowing the stack", () => {
  const x = tensor([1.5, -1], { requiresGrad: true });
  let y = x;
  for (let i = 0; i < 10000; i++) y = y.mul(1.0001);
  const loss = y.sum();
  loss.backward();
  let g = 1;
  for (let i = 0; i < 10000; i++) g = Math.fround(g * Math.fround(1.0001));
  assertClose(x.grad!, [g, g], { atol: 0, rtol: 1e-6 });
  // Every node of the chain released its saved values.
  assert.equal(loss.gradFn!.inputs.length, 0);
  assert.equal(y.gradFn!.vjp, null);
});

// ---- non-differentiable ops ----

testOnBackends("comparisons, argmax and int casts produce outputs that do not require grad", () => {
  const x = tensor([[1, -2], [3, 0]], { requiresGrad: true });
  for (const t of [x.gt(0), x.lt(1), x.eq(x), argmax(x), cast(x, "int32"), cast(x, "bool")]) {
    assert.equal(t.requiresGrad, false);
    assert.equal(t.gradFn, null);
  }
  // A float cast stays differentiable; masks built from comparisons act as constants.
  assert.ok(cast(x, "float32").requiresGrad);
  x.mul(cast(x.gt(0), "float32")).sum().backward();
  assertClose(x.grad!, [[1, 0], [1, 0]]);
  // where(): gradient goes to the branch picked, nothing to the condition.
  const a = tensor([1, 2], { requiresGrad: true }), b = tensor([3, 4], { requiresGrad: true });
  where(tensor([true, false]), a, b).sum().backward();
  assertClose(a.grad!, [1, 0]);
  assertClose(b.grad!, [0, 1]);
});

// ---- hooks ----

testOnBackends("a leaf hook can scale the gradient and runs once with the total", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const seen: number[][] = [];
  const remove = x.registerHook((g) => {
    seen.push([...g.dataSync()]);
    return g.mul(3);
  });
  // x used three times: the hook sees the summed gradient once.
  x.mul(2).add(x.mul(x)).add(x).sum().backward();
  assert.deepEqual(seen, [[2 + 2 + 1, 2 + 4 + 1]]);
  assertClose(x.grad!, [15, 21]);
  remove();
  x.zeroGrad();
  x.mul(2).sum().backward();
  assert.equal(seen.length, 1);
  assertClose(x.grad!, [2, 2]);
  // Removing twice is harmless.
  remove();
});

testOnBackends("a non-leaf hook changes what flows to the inputs", () => {
  const x = tensor([1, -1], { requiresGrad: true });
  const h = x.mul(2);
  let calls = 0;
  h.registerHook((g) => {
    calls++;
    return g.mul(10);
  });
  // h used twice (h·h): one call with the total 2h.
  h.mul(h).sum().backward();
  assert.equal(calls, 1);
  assertClose(x.grad!, [80, -80]); // 10 · 2h · 2
  // A hook returning nothing only observes.
  const y = tensor([1], { requiresGrad: true });
  const k = y.mul(4);
  let observed = 0;
  k.registerHook((g) => {
    observed = g.dataSync()[0];
  });
  k.mul(5).sum().backward();
  assert.equal(observed, 5);
  assertClose(y.grad!, [20]);
});

testOnBackends("hooks give guided-backprop gradients matching PyTorch", () => {
  const f = fx.hook;
  const x = leaf(f.x), w = fromFixture(f.w);
  const h = matmul(x, w).relu();
  h.registerHook((g) => g.clamp({ min: 0 }));
  h.retainGrad();
  h.mul(fromFixture(f.c)).sum().backward();
  assertClose(x.grad!, fromFixture(f.gx), TOL);
  assertClose(h.grad!, fromFixture(f.gh), TOL);
});

testOnBackends("a hook must keep the gradient's shape", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  x.registerHook((g) => g.sum());
  assertThrowsMessage(
    () => x.mul(2).sum().backward(),
    ShapeError,
    "Cannot use a gradient hook's result in backward(): it returned shape [], expected the gradient's shape [2]",
  );
  assertThrowsMessage(
    () => tensor([1]).registerHook(() => {}),
    RangeError,
    "Cannot register a hook in registerHook() on a tensor that does not require grad",
  );
});

// ---- retainGraph, createGraph ----

testOnBackends("retainGraph allows a second backward; without it the second one throws", () => {
  const x = tensor([0.5, 1], { requiresGrad: true });
  const y = x.sin().sum();
  y.backward(undefined, { retainGraph: true });
  y.backward();
  assertClose(x.grad!, x.detach().cos().mul(2));
  assertThrowsMessage(
    () => y.backward(),
    Error,
    "Cannot backward through Sum a second time: its saved values were released after the first backward(); pass { retainGraph: true } to the first call",
  );
  // Shared subgraph: backward from one head releases it for the other.
  const z = x.mul(3);
  const a = z.exp().sum(), b = z.sin().sum();
  a.backward();
  assertThrowsMessage(
    () => b.backward(),
    Error,
    "Cannot backward through Mul a second time: its saved values were released after the first backward(); pass { retainGraph: true } to the first call",
  );
});

testOnBackends("backward without retainGraph releases every node's saved values", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const w = tensor([0.5, -1, 2], { requiresGrad: true });
  const h = x.mul(w).exp();
  // A branch in the graph that no gradient reaches (its user's rule returns
  // null for it) is released too.
  const b = x.mul(2);
  const firstOnly = record("FirstOnly", h.detach().add(b.detach()), [h, b], (dy) => [dy, null]);
  const loss = firstOnly.add(h.sin()).sum();
  const before = graphNodes(loss);
  assert.ok(before.includes(b.gradFn!) && before.length === 7);
  assert.ok(before.every((n) => n.vjp !== null && n.inputs.length > 0));
  loss.backward();
  for (const n of before) {
    assert.equal(n.vjp, null, `${n.name} kept its vjp`);
    assert.equal(n.inputs.length, 0, `${n.name} kept its inputs`);
  }
  // With retainGraph nothing is released.
  const loss2 = x.mul(w).exp().sum();
  loss2.backward(undefined, { retainGraph: true });
  assert.ok(graphNodes(loss2).every((n) => n.vjp !== null && n.inputs.length > 0));
});

Deno.test("backward lets the garbage collector reclaim intermediates [cpu]", async () => {
  // Run in a child with --expose-gc: count live tensors after forcing GC while
  // the loss tensor (and so its graph root) stays referenced.
  const probe = `
    import { liveTensors } from "@dendrite/tensor";
    import { tensor } from "@dendrite/tensor";
    import "@dendrite/autograd";
    const gc = globalThis.gc;
    async function settle() {
      for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 0)); }
    }
    await settle();
    const base = liveTensors("cpu");
    const x = tensor([[1, 2, 3, 4]], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 50; i++) y = y.mul(1.01).sin();
    const loss = y.sum();
    loss.backward(undefined, { retainGraph: Deno.args[0] === "retain" });
    await settle();
    console.log(JSON.stringify({ extra: liveTensors("cpu") - base, g: x.grad.size, l: loss.size }));
  `;
  const dir = await Deno.makeTempDir();
  const file = `${dir}/probe.js`;
  await Deno.writeTextFile(file, probe);
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const run = async (mode: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "--config", config, "--v8-flags=--expose-gc", file, mode],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout)).extra as number;
  };
  try {
    const released = await run("release");
    const retained = await run("retain");
    // Alive: x, the last y, loss and x.grad.
    assert.ok(released <= 4, `released graph left ${released} tensors alive`);
    // The probe can tell: a retained graph keeps its 100 saved intermediates.
    assert.ok(retained >= 100, `retained graph kept only ${retained} tensors alive`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

testOnBackends("a step inside tidy leaves only the leaf and its gradient alive", (b) => {
  const before = memory(b);
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const g = tidy(() => {
    const loss = x.mul(2).exp().sin().sum();
    loss.backward();
    return x.grad!;
  });
  const after = memory(b);
  // Nothing created by the forward or backward pass escapes the scope.
  assert.equal(after.tensors, before.tensors + 2);
  assert.equal(after.bytes, before.bytes + 2 * 3 * 4);
  // d/dx sin(e^{2x}) = 2 e^{2x} cos(e^{2x})
  assertClose(g, [1, 2, 3].map((v) => 2 * Math.exp(2 * v) * Math.cos(Math.exp(2 * v))), {
    rtol: 1e-3,
  });
  x.dispose();
  g.dispose();
  assert.equal(memory(b).tensors, before.tensors);
  assert.equal(memory(b).bytes, before.bytes);
});

testOnBackends("createGraph makes backward's gradients differentiable", () => {
  const x = tensor([1, -2, 0.5], { requiresGrad: true });
  x.pow(3).sum().backward(undefined, { createGraph: true });
  const g = x.grad!;
  assert.ok(g.requiresGrad && g.gradFn !== null);
  assertClose(g, [3, 12, 0.75]);
  const [gg] = gradients(g.sum(), [x]);
  assertClose(gg, [6, -12, 3]);
});

testOnBackends("a Hessian-vector product matches the analytic value and PyTorch", () => {
  // f(x) = ½ xᵀAx: H = ½(A + Aᵀ), so Hv = ½(A + Aᵀ)v.
  const A = tensor([[1, 2, 0], [-1, 3, 4], [0.5, 0, -2]]);
  const v = tensor([1, -1, 2]);
  const x = tensor([0.3, -0.7, 1.1], { requiresGrad: true });
  const f = x.reshape([1, 3]).matmul(A).matmul(x.reshape([3, 1])).sum().mul(0.5);
  const [g] = gradients(f, [x], { createGraph: true });
  const [hv] = gradients(g.mul(v).sum(), [x]);
  const a = A.dataSync(), vv = v.dataSync();
  const want = [0, 1, 2].map((i) =>
    [0, 1, 2].reduce((s, j) => s + 0.5 * (a[i * 3 + j] + a[j * 3 + i]) * vv[j], 0)
  );
  assertClose(hv, want);
  // A non-quadratic case against torch.autograd: f(x) = Σ sin(x)·(Ax).
  const h = fx.hvp;
  const x2 = leaf(h.x), A2 = fromFixture(h.A);
  const f2 = x2.sin().mul(matmul(A2, x2.reshape([4, 1])).reshape([4])).sum();
  const [g2] = gradients(f2, [x2], { createGraph: true });
  assertClose(g2, fromFixture(h.g), TOL);
  const [hv2] = gradients(g2.mul(fromFixture(h.v)).sum(), [x2]);
  assertClose(hv2, fromFixture(h.hv), TOL);
});

// ---- gradients() ----

testOnBackends("gradients sums vector-Jacobian products of several outputs", () => {
  const f = fx.multi;
  const x = leaf(f.x), w = leaf(f.w);
  const y1 = matmul(x, w), y2 = x.sin().sum(1);
  const [gx, gw] = gradients([y1, y2], [x, w], {
    gradOutputs: [fromFixture(f.g1), fromFixture(f.g2)],
  });
  assertClose(gx, fromFixture(f.gx), TOL);
  assertClose(gw, fromFixture(f.gw), TOL);
  // .grad is untouched, retained grads too.
  assert.equal(x.grad, null);
  assert.equal(w.grad, null);
  const h = matmul(x, w).retainGrad();
  const [gh] = gradients(h.tanh().sum(), [h]);
  assertClose(gh, fromFixture(f.gh), TOL);
  assert.equal(h.grad, null);
});

testOnBackends("gradients handles unused inputs, missing requiresGrad and bad gradOutputs", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const u = tensor([[3]], { requiresGrad: true });
  assertThrowsMessage(
    () => gradients(x.mul(2).sum(), [x, u]),
    Error,
    "Cannot run gradients(): input 1 (shape [1, 1]) is not used by the outputs; pass { allowUnused: true } to get zeros",
  );
  const [gx, gu] = gradients(x.mul(2).sum(), [x, u], { allowUnused: true });
  assertClose(gx, [2, 2]);
  assertClose(gu, [[0]]);
  assertThrowsMessage(
    () => gradients(x.sum(), [tensor([1, 2])]),
    Error,
    "Cannot run gradients(): input 0 (shape [2]) does not require grad",
  );
  assertThrowsMessage(
    () => gradients([x.mul(2), x.mul(3)], [x], { gradOutputs: [tensor([1, 1])] }),
    RangeError,
    "Cannot run gradients(): got 1 gradOutputs for 2 outputs",
  );
  assertThrowsMessage(
    () => gradients(x.mul(2), [x]),
    ShapeError,
    "Cannot run gradients() from a tensor of shape [2] without an upstream gradient: pass one of the same shape, or reduce to a scalar first",
  );
});

testOnBackends("gradients releases the graph unless retainGraph", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.exp().sum();
  const [g1] = gradients(y, [x], { retainGraph: true });
  const [g2] = gradients(y, [x]);
  assertClose(g1, g2);
  assertThrowsMessage(
    () => gradients(y, [x]),
    Error,
    "Cannot backward through Sum a second time: its saved values were released after the first backward(); pass { retainGraph: true } to the first call",
  );
});

testOnBackends("gradients through a custom recorded op uses its rule", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const y = record("Triple", mul(x.detach(), 3), [x], (dy) => [mul(dy, 3)]);
  assert.ok(y.requiresGrad && y.gradFn!.name === "Triple");
  const [g] = gradients(y.square().sum(), [x]);
  assertClose(g, [18, 36, 54]);
});

testOnBackends("backward disposes the gradients it created once they are used", (b) => {
  const x = randn([64, 64], { requiresGrad: true });
  let y = x;
  for (let i = 0; i < 8; i++) y = y.mul(1.5);
  const loss = y.sum();
  const full = 64 * 64 * 4;
  const before = memory(b).bytes;
  loss.backward();
  // Each of the eight rules makes a full-size gradient; the sweep disposes
  // each once the next rule has used it, so only x.grad and a few
  // temporaries are still allocated (without that, all eight would be).
  const extra = memory(b).bytes - before;
  assert.ok(extra < 3 * full, `${extra / full} full-size buffers left`);
  assertClose(x.grad!, full2(1.5 ** 8));
});

function full2(v: number): number[][] {
  return Array.from({ length: 64 }, () => new Array(64).fill(v));
}

testOnBackends("backward never disposes what user code can still hold", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  // An upstream gradient passed straight through (reshape's rule is a view of it).
  const up = tensor([[1, 1, 1]]);
  const [gx] = gradients(x.reshape([1, 3]), [x], { gradOutputs: [up] });
  assert.ok(!up.isDisposed);
  assertClose(gx, [1, 1, 1]);
  // A gradient a hook stored, a retained gradient and a wanted non-leaf.
  let stored: Tensor | undefined;
  const h = x.mul(2);
  h.registerHook((g) => {
    stored = g;
  });
  const k = h.add(1);
  k.retainGrad();
  const z = k.mul(k).sum();
  z.backward();
  assert.ok(stored && !stored.isDisposed);
  assertClose(stored!, [6, 10, 14]);
  assert.ok(k.grad && !k.grad.isDisposed);
  assertClose(k.grad!, [6, 10, 14]);
  const m = x.mul(3);
  const [gm, gx2] = gradients(m.mul(m).sum(), [m, x]);
  assertClose(gm, [6, 12, 18]);
  assertClose(gx2, [18, 36, 54]);
  // With createGraph the gradients form a graph of their own: all usable.
  const y = tensor([2], { requiresGrad: true });
  const [dy] = gradients(y.mul(y).mul(y).sum(), [y], { createGraph: true });
  const [d2] = gradients(dy.sum(), [y]);
  assertClose(d2, [12]);
});
