import { DTypeError, isGradEnabled, ShapeError, type Tensor, tensor } from "@dendrite/tensor";
import { assertClose, assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";
import { enableGrad, grad, gradEnabled, noGrad, valueAndGrad } from "@dendrite/autograd";
import assert from "node:assert/strict";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- grad mode ----

testOnBackends("noGrad stops recording and restores the mode, even after a throw", () => {
  const w = tensor([1, 2], { requiresGrad: true });
  assert.ok(gradEnabled());
  const y = noGrad(() => {
    assert.equal(gradEnabled(), false);
    return w.mul(2);
  });
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  assert.ok(gradEnabled());
  assert.throws(() =>
    noGrad(() => {
      throw new Error("boom");
    }), /boom/);
  assert.ok(gradEnabled() && isGradEnabled());
  assert.ok(w.mul(2).requiresGrad);
});

testOnBackends("enableGrad and noGrad nest", () => {
  const w = tensor([1], { requiresGrad: true });
  const states: boolean[] = [];
  noGrad(() => {
    states.push(gradEnabled());
    enableGrad(() => {
      states.push(gradEnabled(), w.mul(2).requiresGrad);
      noGrad(() => states.push(gradEnabled(), w.mul(2).requiresGrad));
      states.push(gradEnabled());
    });
    states.push(gradEnabled(), w.mul(2).requiresGrad);
  });
  states.push(gradEnabled());
  assert.deepEqual(states, [false, true, true, false, false, true, false, false, true]);
});

testOnBackends("backward still works inside noGrad", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const loss = x.square().sum();
  noGrad(() => loss.backward());
  assertClose(x.grad!, [2, 4]);
  assert.equal(x.grad!.requiresGrad, false);
  assert.equal(gradEnabled(), true);
});

testOnBackends("async noGrad keeps recording off across awaits and only inside", async () => {
  const w = tensor([1], { requiresGrad: true });
  let inside: Tensor | undefined;
  const p = noGrad(async () => {
    await sleep(5);
    assert.equal(gradEnabled(), false);
    inside = w.mul(2);
    return w.mul(3);
  });
  // Code outside the scope, while it is pending, still records.
  assert.equal(gradEnabled(), true);
  assert.ok(w.mul(2).requiresGrad);
  const out = await p;
  assert.equal(out.requiresGrad, false);
  assert.equal(inside!.requiresGrad, false);
  assert.equal(gradEnabled(), true);
});

testOnBackends("concurrent async scopes do not leave the mode switched", async () => {
  const w = tensor([1], { requiresGrad: true });
  const seen: boolean[] = [];
  // Finish in the opposite order of their start.
  const a = noGrad(async () => {
    await sleep(15);
    seen.push(w.mul(2).requiresGrad);
  });
  const b = enableGrad(async () => {
    await sleep(5);
    seen.push(w.mul(2).requiresGrad);
  });
  const c = noGrad(async () => {
    await sleep(1);
    seen.push(gradEnabled());
  });
  await Promise.all([a, b, c]);
  assert.deepEqual(seen, [false, true, false]);
  assert.equal(gradEnabled(), true);
  // Inside a sync noGrad, an async enableGrad and its awaits record.
  const inner = await noGrad(() =>
    enableGrad(async () => {
      await sleep(1);
      return w.mul(2);
    })
  );
  assert.ok(inner.requiresGrad);
  assert.equal(gradEnabled(), true);
});

testOnBackends("async noGrad restores the mode after a rejection", async () => {
  await assert.rejects(
    noGrad(async () => {
      await sleep(1);
      throw new Error("late boom");
    }),
    /late boom/,
  );
  assert.equal(gradEnabled(), true);
});

// ---- grad() / valueAndGrad() ----

testOnBackends("grad returns one gradient per argument and leaves them untouched", () => {
  const x = tensor([1, 2, 3]), y = tensor([4, 5, 6], { requiresGrad: true });
  const [gx, gy] = grad((a, b) => a.mul(b).sum().add(a.square().sum()))(x, y);
  assertClose(gx, [4 + 2, 5 + 4, 6 + 6]);
  assertClose(gy, [1, 2, 3]);
  assert.equal(x.requiresGrad, false);
  assert.equal(y.grad, null);
  assert.equal(gx.requiresGrad, false);
});

testOnBackends("valueAndGrad returns the detached value", () => {
  const [v, [g]] = valueAndGrad((x) => x.exp().sum())(tensor([0, 1]));
  assertClose(v, Math.exp(0) + Math.exp(1), { rtol: 1e-6 });
  assertClose(g, [1, Math.E], { rtol: 1e-6 });
  assert.equal(v.requiresGrad, false);
});

testOnBackends("grad gives zeros for an argument the function ignores", () => {
  const [ga, gb] = grad((a, _b) => a.sum())(tensor([1, 2]), tensor([[3]]));
  assertClose(ga, [1, 1]);
  assertClose(gb, [[0]]);
  // A constant function: every gradient is zero.
  const [gc] = grad((_a) => tensor(1))(tensor([5, 6]));
  assertClose(gc, [0, 0]);
});

testOnBackends("grad with createGraph nests: third derivative of x^4 is 24x", () => {
  const f = (x: Tensor) => x.pow(4).sum();
  const d1 = (x: Tensor) => grad(f, { createGraph: true })(x)[0].sum();
  const d2 = (x: Tensor) => grad(d1, { createGraph: true })(x)[0].sum();
  const x = tensor([1, -2, 0.5]);
  assertClose(grad(f)(x)[0], [4, -32, 0.5]);
  assertClose(grad(d1)(x)[0], [12, 48, 3]);
  const [d3] = grad(d2)(x);
  assertClose(d3, [24, -48, 12]);
  const [v, [g]] = valueAndGrad(f, { createGraph: true })(x);
  assert.ok(v.requiresGrad && g.requiresGrad);
});

testOnBackends("argnums picks the arguments and lets integer ones through", () => {
  const x = tensor([[1, 2], [3, 4]]);
  const idx = tensor([1, 0], { dtype: "int32" });
  const pick = (a: Tensor, i: Tensor) => a.gather(1, i.reshape([2, 1])).sum();
  const [g] = grad(pick, { argnums: 0 })(x, idx);
  assertClose(g, [[0, 1], [1, 0]]);
  const [g1, g0] = grad((a, b) => a.mul(b.square()).sum(), { argnums: [1, 0] })(
    tensor([2]),
    tensor([3]),
  );
  assertClose(g1, [12]);
  assertClose(g0, [9]);
  assertThrowsMessage(
    () => grad(pick)(x, idx),
    DTypeError,
    "Cannot differentiate in grad() with respect to argument 1: it is a int32 tensor (shape [2]), expected float32; leave it out with argnums",
  );
  assertThrowsMessage(
    () => valueAndGrad(pick, { argnums: [0, 2] })(x, idx),
    RangeError,
    "Cannot differentiate in valueAndGrad() with respect to argument 2: the function got 2 arguments",
  );
});

testOnBackends("grad refuses a function without a one-element tensor result", () => {
  assertThrowsMessage(
    () => grad((x) => x.mul(2))(tensor([1, 2])),
    ShapeError,
    "Cannot differentiate in grad(): the function returned shape [2], expected a single element",
  );
  assertThrowsMessage(
    () => valueAndGrad((() => 3) as unknown as (x: Tensor) => Tensor)(tensor([1])),
    TypeError,
    "Cannot differentiate in valueAndGrad(): the function returned number, expected a Tensor",
  );
});

testOnBackends("grad records even when called inside noGrad", () => {
  const [g] = noGrad(() => grad((x) => x.square().sum())(tensor([3])));
  assertClose(g, [6]);
});
