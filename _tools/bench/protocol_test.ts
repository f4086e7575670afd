import assert from "node:assert/strict";
import { flopsOf, parseArgs, randomLabels, selected, timeBench } from "./protocol.ts";

Deno.test("randomLabels matches random_labels() of torch_bench.py", () => {
  // Values printed by torch_bench.random_labels(12, 10, 1335) and (5, 3, 0).
  assert.deepEqual([...randomLabels(12, 10, 1335)], [7, 3, 9, 0, 1, 8, 7, 7, 6, 2, 5, 9]);
  assert.deepEqual([...randomLabels(5, 3, 0)], [0, 0, 2, 2, 1]);
});

Deno.test("timeBench runs warm-ups then iters and reports the statistics", async () => {
  let calls = 0;
  const r = await timeBench(() => Promise.resolve(calls++), {
    warmup: 3,
    iters: 4,
    min_iters: 3,
    budget_s: 10,
  });
  assert.equal(calls, 7);
  assert.equal(r.iters, 4);
  assert.equal(r.warmup, 3);
  assert.ok(r.min_ms <= r.median_ms && r.median_ms <= r.max_ms);
  assert.equal(r.note, undefined);
});

Deno.test("timeBench keeps a single cold run when the first exceeds the budget", async () => {
  let calls = 0;
  const slow = async () => {
    calls++;
    await new Promise((res) => setTimeout(res, 30));
  };
  const r = await timeBench(slow, { warmup: 3, iters: 10, min_iters: 3, budget_s: 0.01 });
  assert.equal(calls, 1);
  assert.equal(r.iters, 1);
  assert.match(r.note!, /^single cold run only/);
});

Deno.test("timeBench cuts warm-ups and iterations to the budget like torch_bench.py", async () => {
  let calls = 0;
  const step = async () => {
    calls++;
    await new Promise((res) => setTimeout(res, 60));
  };
  // 60 ms (or more, on a busy machine) per step against a 200 ms budget:
  // warm-ups stop after the first (> budget / 4), iterations fall to min_iters.
  const r = await timeBench(step, { warmup: 3, iters: 10, min_iters: 3, budget_s: 0.2 });
  assert.equal(r.warmup, 1);
  assert.equal(r.iters, 3);
  assert.equal(calls, 4);
  assert.match(r.note!, /warm-ups cut 3->1; iterations cut 10->3/);
});

Deno.test("parseArgs, selected and flopsOf follow torch_bench.py", () => {
  assert.deepEqual(parseArgs(["--only=W1,W3", "--no-torch", "x"]), {
    only: "W1,W3",
    "no-torch": "1",
  });
  assert.ok(selected("W1_matmul_256", ["W1"]));
  assert.ok(!selected("W2_conv_a_fwd", ["W1", "W3"]));
  assert.ok(selected("W4_cnn_train_step", undefined));
  assert.equal(flopsOf({ id: "m", kind: "matmul", n: 4 }), 128);
  const conv = { id: "c", kind: "conv2d", n: 2, cin: 3, cout: 4, hw: 5, k: 3, pad: 1 };
  assert.equal(flopsOf({ ...conv, backward: false }), 2 * 2 * 25 * 4 * 3 * 9);
  assert.equal(flopsOf({ ...conv, backward: true }), 3 * 2 * 2 * 25 * 4 * 3 * 9);
  assert.equal(flopsOf({ id: "w", kind: "mlp" }), undefined);
});
