// Command batching on the WebGPU backend: a training step is recorded into
// few command buffers, reads nothing back unless asked, and buffers released
// while work is pending are not handed out again before that work is
// submitted.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { assertClose } from "@dendrite/tensor/testing";

await T.initWebGPU({ allowSoftware: true });
const be = T.webgpuBackend()!;

Deno.test("a released input is not reused by an upload before the work reading it is submitted", async () => {
  for (let trial = 0; trial < 20; trial++) {
    const a = await T.tensor([1, 2, 3, 4]).to("webgpu");
    const b = a.mul(2); // recorded, not yet submitted
    a.dispose(); // its buffer must not be handed to the next upload yet
    const c = T.tensor([10, 20, 30, 40], { backend: "webgpu" }); // a synchronous upload
    assert.deepEqual([...await b.data()], [2, 4, 6, 8]);
    assert.deepEqual([...await c.data()], [10, 20, 30, 40]);
    b.dispose();
    c.dispose();
  }
});

Deno.test("a chain of ops is one submit, and reading flushes it", async () => {
  const x = await T.randn([33, 17], { rng: new T.Generator(1) }).to("webgpu");
  await x.data();
  const cpu = await x.to("cpu");
  const before = be.counters();
  let y = x;
  for (let i = 0; i < 10; i++) y = y.mul(1.5).add(0.25).tanh();
  const recorded = be.counters();
  assert.equal(recorded.submits, before.submits, "nothing submitted while recording");
  assert.equal(recorded.dispatches - before.dispatches, 30);
  let z = cpu;
  for (let i = 0; i < 10; i++) z = z.mul(1.5).add(0.25).tanh();
  assertClose(await y.data(), z.dataSync(), { atol: 1e-5, rtol: 1e-5 });
  const after = be.counters();
  assert.equal(after.submits - before.submits, 1);
  assert.equal(after.reads - before.reads, 1);
});

Deno.test("work left unread is submitted when the synchronous code ends", async () => {
  const x = await T.ones([8]).to("webgpu");
  const before = be.counters();
  const y = x.add(1);
  await Promise.resolve();
  assert.equal(be.counters().submits, before.submits + 1);
  assert.deepEqual([...await y.data()], [2, 2, 2, 2, 2, 2, 2, 2]);
});

Deno.test("long chains are split every maxDispatchesPerSubmit dispatches", async () => {
  const x = await T.zeros([4]).to("webgpu");
  const saved = be.maxDispatchesPerSubmit;
  be.maxDispatchesPerSubmit = 8;
  try {
    const before = be.counters();
    let y = x;
    const made: T.Tensor[] = [];
    for (let i = 0; i < 20; i++) made.push(y = y.add(1));
    assert.equal(be.counters().submits - before.submits, 2);
    assert.deepEqual([...await y.data()], [20, 20, 20, 20]);
    for (const t of made) t.dispose();
  } finally {
    be.maxDispatchesPerSubmit = saved;
  }
});

Deno.test("a training step reads nothing back and submits a few command buffers", async () => {
  const { Sequential, Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear } = await import(
    "@dendrite/layers"
  );
  const { Adam } = await import("@dendrite/optimizers");
  const { crossEntropy } = await import("@dendrite/losses");
  const model = await new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, rng: new T.Generator(5) }),
    new BatchNorm2d(4),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(4 * 4 * 4, 3, { rng: new T.Generator(6) }),
  ).to("webgpu");
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const x = await T.randn([6, 1, 8, 8], { rng: new T.Generator(7) }).to("webgpu");
  const y = await T.randint(0, 3, [6], { rng: new T.Generator(8) }).to("webgpu");
  const step = () =>
    T.tidy(() => {
      opt.zeroGrad();
      const loss = crossEntropy(model.call(x), y);
      loss.backward();
      opt.step();
      opt.zeroGrad();
    });
  step();
  await Promise.resolve(); // the first step's work is submitted
  const before = be.counters();
  step();
  const after = be.counters();
  const dispatches = after.dispatches - before.dispatches;
  assert.equal(after.reads, before.reads, "no value was read back during the step");
  assert.ok(dispatches > 20, `a step is many dispatches (${dispatches})`);
  assert.ok(
    after.submits - before.submits <= Math.ceil(dispatches / be.maxDispatchesPerSubmit),
    `submits ${after.submits - before.submits} for ${dispatches} dispatches`,
  );
  await Promise.resolve();
  assert.ok(
    be.counters().submits - before.submits <= Math.ceil(dispatches / be.maxDispatchesPerSubmit) + 1,
  );
});
