import assert from "node:assert/strict";
import { Generator, randn, type Tensor } from "@dendrite/tensor";
import { BatchNorm1d, Linear, ReLU, Sequential } from "@dendrite/layers";
import { crossEntropy } from "@dendrite/losses";
import { Adam, CosineAnnealingLR, loadCheckpoint, saveCheckpoint } from "../mod.ts";

function setup() {
  const rng = new Generator(1);
  const model = new Sequential(
    new Linear(4, 8, { rng }),
    new BatchNorm1d(8),
    new ReLU(),
    new Linear(8, 3, { rng }),
  );
  const opt = new Adam(model.parameters(), { lr: 0.05 });
  const sched = new CosineAnnealingLR(opt, { tMax: 10 });
  return { model, opt, sched };
}

function trainSteps(s: ReturnType<typeof setup>, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const rng = new Generator(100 + i);
    const x = randn([6, 4], { rng });
    const y = randn([6], { rng }).gt(0).cast("int32");
    s.opt.zeroGrad();
    crossEntropy(s.model.call(x), y).backward();
    s.opt.step();
    s.sched.step();
  }
}

Deno.test("a checkpoint resumes training exactly (model, optimizer, schedule)", async () => {
  const straight = setup();
  trainSteps(straight, 0, 6);
  const first = setup();
  trainSteps(first, 0, 3);
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  await saveCheckpoint(path, {
    model: first.model,
    optimizer: first.opt,
    scheduler: first.sched,
    extra: { step: 3 },
  });
  const resumed = setup();
  const { extra } = await loadCheckpoint(path, {
    model: resumed.model,
    optimizer: resumed.opt,
    scheduler: resumed.sched,
  });
  assert.equal(extra.step, 3);
  trainSteps(resumed, 3, 6);
  const a = straight.model.stateDict(), b = resumed.model.stateDict();
  for (const [k, v] of a) assert.deepEqual(b.get(k)!.dataSync(), (v as Tensor).dataSync(), k);
  assert.equal(resumed.opt.paramGroups[0].options.lr, straight.opt.paramGroups[0].options.lr);
});

Deno.test("a truncated checkpoint throws and changes nothing", async () => {
  const s = setup();
  trainSteps(s, 0, 2);
  const bytes = await saveCheckpoint(null, { model: s.model, optimizer: s.opt });
  const t = setup();
  const before = t.model.stateDict().get("0.weight")!.dataSync().slice();
  await assert.rejects(() =>
    loadCheckpoint(bytes.subarray(0, bytes.length - 10), { model: t.model, optimizer: t.opt })
  );
  assert.deepEqual(t.model.stateDict().get("0.weight")!.dataSync(), before);
  assert.equal(t.opt.state.size, 0);
});
