import assert from "node:assert/strict";
import { randomSeed, resolveRng, Rng } from "@dendrite/data";
import { assertThrowsMessage } from "@dendrite/tensor/testing";

Deno.test("Rng same seed gives the same stream, different seeds and streams differ", () => {
  const a = new Rng(123), b = new Rng(123), c = new Rng(124), d = new Rng(123, 1);
  const sa = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(sa, Array.from({ length: 8 }, () => b.nextUint32()));
  assert.notDeepEqual(sa, Array.from({ length: 8 }, () => c.nextUint32()));
  assert.notDeepEqual(sa, Array.from({ length: 8 }, () => d.nextUint32()));
  // Seeds above 2^32 use their high bits.
  assert.notEqual(new Rng(2 ** 32 + 5).nextUint32(), new Rng(5).nextUint32());
});

Deno.test("Rng random is uniform in [0, 1) with the right mean and variance", () => {
  const r = new Rng(7);
  let s = 0, s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = r.random();
    assert.ok(u >= 0 && u < 1);
    s += u;
    s2 += u * u;
  }
  assert.ok(Math.abs(s / n - 0.5) < 0.01);
  assert.ok(Math.abs(s2 / n - s * s / (n * n) - 1 / 12) < 0.005);
});

Deno.test("Rng int covers its range evenly and never leaves it", () => {
  const r = new Rng(3);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 6000; i++) counts[r.int(0, 6)]++;
  for (const c of counts) assert.ok(c > 850 && c < 1150, `bucket count ${c}`);
  for (let i = 0; i < 100; i++) {
    const v = r.int(-3, -1);
    assert.ok(v === -3 || v === -2);
  }
  assertThrowsMessage(
    () => r.int(2, 2),
    RangeError,
    "Cannot draw Rng.int(2, 2): expected integers with low < high and high - low <= 2^32",
  );
});

Deno.test("Rng normal has mean 0 and std 1", () => {
  const r = new Rng(11);
  let s = 0, s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const v = r.normal();
    s += v;
    s2 += v * v;
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(Math.sqrt(s2 / n) - 1) < 0.03);
});

Deno.test("Rng permutation is a permutation and reproducible", () => {
  const p = new Rng(5).permutation(50);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(p, new Rng(5).permutation(50));
  assert.notDeepEqual(p, Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(new Rng(1).permutation(0), []);
});

Deno.test("Rng rejects bad seeds", () => {
  assertThrowsMessage(
    () => new Rng(-1),
    RangeError,
    "Cannot seed an Rng with seed -1: expected a non-negative integer below 2^53",
  );
  assertThrowsMessage(
    () => new Rng(1, 0.5),
    RangeError,
    "Cannot seed an Rng with stream 0.5: expected a non-negative integer below 2^53",
  );
});

Deno.test("resolveRng prefers rng, then seed; randomSeed is a safe integer", () => {
  const g = new Rng(1);
  assert.equal(resolveRng({ rng: g, seed: 5 }), g);
  assert.equal(resolveRng({ seed: 5 }).random(), new Rng(5).random());
  assert.ok(Number.isSafeInteger(randomSeed()) && randomSeed() >= 0);
});
