import assert from "node:assert/strict";
import {
  colorJitter,
  compose,
  crop,
  randomCrop,
  randomErasing,
  randomHorizontalFlip,
  randomResizedCrop,
  randomResizedCropBox,
  randomRotation,
  randomVerticalFlip,
  resize,
  Rng,
} from "@dendrite/data";
import { arange, rand, ShapeError, type Tensor, tensor, zeros } from "@dendrite/tensor";
import { assertClose, assertThrowsMessage } from "@dendrite/tensor/testing";

const img = () => arange(12).cast("float32").reshape([1, 3, 4]).div(12);
const same = (a: Tensor, b: Tensor) => a.dataSync().join() === b.dataSync().join();

Deno.test("randomHorizontalFlip flips with probability p, reproducibly under a seed", () => {
  const x = tensor([[[1, 2, 3]]]);
  assertClose(randomHorizontalFlip(1)(x), [[[3, 2, 1]]]);
  assertClose(randomHorizontalFlip(0)(x), x);
  const pattern = (seed: number) => {
    const t = randomHorizontalFlip(0.5, { seed });
    return Array.from({ length: 40 }, () => t(x).dataSync()[0] === 3 ? 1 : 0).join("");
  };
  assert.equal(pattern(5), pattern(5));
  assert.notEqual(pattern(5), pattern(6));
  const flips = [...pattern(7)].filter((c) => c === "1").length;
  assert.ok(flips > 8 && flips < 32, `flips ${flips}/40`);
  // A generator passed at call time takes precedence over the transform's own.
  const t = randomHorizontalFlip(0.5, { seed: 1 });
  const a = Array.from({ length: 20 }, () => t(x, new Rng(2)).dataSync()[0]);
  assert.ok(a.every((v) => v === a[0]));
  assertThrowsMessage(
    () => randomHorizontalFlip(2),
    RangeError,
    "Cannot create randomHorizontalFlip() with p = 2: expected a probability in [0, 1]",
  );
});

Deno.test("randomVerticalFlip flips top to bottom", () => {
  assertClose(randomVerticalFlip(1)(tensor([[[1], [2]]])), [[[2], [1]]]);
  const t1 = randomVerticalFlip(0.5, { seed: 3 }), t2 = randomVerticalFlip(0.5, { seed: 3 });
  const x = rand([1, 4, 4]);
  for (let i = 0; i < 10; i++) assert.ok(same(t1(x), t2(x)));
});

Deno.test("randomCrop with padding cuts windows of the zero-padded image", () => {
  const x = img(); // 3x4
  const seen = new Set<string>();
  const t = randomCrop([3, 4], { padding: 1, seed: 0 });
  const rng = new Rng(0);
  for (let k = 0; k < 60; k++) {
    const y = t(x);
    assert.deepEqual(y.shape, [1, 3, 4]);
    // Reproduce the draw: top then left, uniform over the padded image (5x6).
    const i = rng.int(0, 3), j = rng.int(0, 3);
    assertClose(y, crop(x, [i - 1, j - 1, 3, 4]));
    seen.add(`${i},${j}`);
  }
  assert.equal(seen.size, 9); // every offset occurs
  // The centred window is the image itself; corner windows contain padding zeros.
  assertClose(crop(x, [0, 0, 3, 4]), x);
  assertClose(crop(x, [-1, -1, 2, 2]), [[[0, 0], [0, 0]]]);
});

Deno.test("randomCrop same seed gives the same crops; padIfNeeded and errors", () => {
  const x = rand([3, 8, 8]);
  const a = randomCrop(5, { padding: [1, 2], seed: 4 }),
    b = randomCrop(5, { padding: [1, 2], seed: 4 });
  for (let i = 0; i < 5; i++) assert.ok(same(a(x), b(x)));
  const small = zeros([1, 2, 2]).add(1);
  const y = randomCrop(4, { padIfNeeded: true, seed: 0 })(small);
  assert.deepEqual(y.shape, [1, 4, 4]);
  assert.equal([...y.dataSync()].reduce((s, v) => s + v, 0), 4); // the 4 ones survive, the rest is fill
  assertThrowsMessage(
    () => randomCrop(4, { seed: 0 })(small),
    ShapeError,
    "Cannot randomCrop() [4, 4] from shape [1, 2, 2] padded to 2x2: the crop is larger than the image (use padIfNeeded)",
  );
  assertThrowsMessage(
    () => randomCrop(2, { padding: [1, 2, 3] }),
    RangeError,
    "Cannot create randomCrop() with padding [1,2,3]: expected a non-negative integer, [leftRight, topBottom] or [left, top, right, bottom]",
  );
});

Deno.test("randomCrop reflect padding keeps image values only", () => {
  const x = zeros([1, 4, 4]).add(0.5);
  const t = randomCrop(4, { padding: 2, paddingMode: "reflect", seed: 1 });
  for (let i = 0; i < 5; i++) assert.ok(t(x).dataSync().every((v) => v === 0.5));
});

Deno.test("randomResizedCrop outputs the size, is reproducible, and full-scale equals resize", () => {
  const x = rand([3, 12, 16]);
  const a = randomResizedCrop([6, 5], { seed: 2 }), b = randomResizedCrop([6, 5], { seed: 2 });
  for (let i = 0; i < 5; i++) {
    const y = a(x);
    assert.deepEqual(y.shape, [3, 6, 5]);
    assert.ok(same(y, b(x)));
  }
  const whole = randomResizedCrop(8, { scale: [1, 1], ratio: [16 / 12, 16 / 12], seed: 0 })(x);
  assertClose(whole, resize([8, 8])(x), { atol: 1e-6 });
  // Boxes stay inside the image and respect the area range.
  const rng = new Rng(9);
  for (let i = 0; i < 200; i++) {
    const [t, l, h, w] = randomResizedCropBox(12, 16, [0.08, 1], [3 / 4, 4 / 3], rng);
    assert.ok(t >= 0 && l >= 0 && h >= 1 && w >= 1 && t + h <= 12 && l + w <= 16);
  }
  // Impossible ratios fall back to a centre crop with the ratio clamped.
  assert.deepEqual(randomResizedCropBox(10, 10, [1, 1], [2, 3], new Rng(0)), [2, 0, 5, 10]);
  assertThrowsMessage(
    () => randomResizedCrop(4, { scale: [0.5, 0.1] }),
    RangeError,
    "Cannot create randomResizedCrop() with scale [0.5, 0.1]: expected [low, high] with low <= high and low > 0",
  );
});

Deno.test("colorJitter draws factors in range, applies them, and is reproducible", () => {
  const x = rand([3, 4, 4]).mul(0.5);
  const t = colorJitter({ brightness: 0.4, seed: 8 });
  for (let i = 0; i < 10; i++) {
    const y = t(x).dataSync(), xs = x.dataSync();
    const f = y[0] / xs[0];
    assert.ok(f >= 0.6 - 1e-6 && f <= 1.4 + 1e-6, `factor ${f}`);
    for (let k = 0; k < xs.length; k++) assert.ok(Math.abs(y[k] - Math.min(1, xs[k] * f)) < 1e-5);
  }
  const full = (seed: number) =>
    colorJitter({ brightness: 0.3, contrast: 0.3, saturation: 0.3, seed });
  const a = full(1), b = full(1), c = full(2);
  const ya = a(x), yb = b(x);
  assert.ok(same(ya, yb));
  assert.ok(!same(ya, c(x)));
  assert.ok(ya.dataSync().every((v) => v >= 0 && v <= 1));
  assertClose(colorJitter({})(x), x);
  assertThrowsMessage(
    () => colorJitter({ contrast: -1 }),
    RangeError,
    "Cannot create colorJitter() with contrast -1: expected >= 0",
  );
});

Deno.test("randomRotation draws angles in range and is reproducible", () => {
  const sq = arange(4).cast("float32").reshape([1, 2, 2]);
  assertClose(randomRotation([90, 90])(sq), [[[1, 3], [0, 2]]]);
  const x = rand([1, 6, 6]);
  const a = randomRotation(30, { seed: 3 }), b = randomRotation(30, { seed: 3 });
  for (let i = 0; i < 4; i++) assert.ok(same(a(x), b(x)));
  assertThrowsMessage(
    () => randomRotation(-5),
    RangeError,
    "Cannot create randomRotation() with degrees -5: expected a non-negative number or [min, max]",
  );
});

Deno.test("randomErasing erases one rectangle of the right area, reproducibly", () => {
  const x = zeros([3, 10, 10]).add(1);
  const t = randomErasing({ p: 1, value: [0, 0.25, 0.5], seed: 0 });
  for (let k = 0; k < 10; k++) {
    const y = t(x).dataSync();
    for (let c = 0; c < 3; c++) {
      const plane = y.subarray(c * 100, (c + 1) * 100);
      const erased = [...plane].filter((v) => v !== 1);
      assert.ok(erased.length >= 2 && erased.length <= 33 + 10, `area ${erased.length}`);
      assert.ok(erased.every((v) => v === [0, 0.25, 0.5][c]));
      // The erased pixels form one rectangle.
      const rows = new Set<number>(), cols = new Set<number>();
      plane.forEach((v, i) => {
        if (v !== 1) {
          rows.add(Math.floor(i / 10));
          cols.add(i % 10);
        }
      });
      assert.equal(rows.size * cols.size, erased.length);
    }
  }
  const a = randomErasing({ p: 0.5, value: "random", seed: 5 });
  const b = randomErasing({ p: 0.5, value: "random", seed: 5 });
  for (let i = 0; i < 6; i++) assert.ok(same(a(x), b(x)));
  assertClose(randomErasing({ p: 0 })(x), x);
  assertThrowsMessage(
    () => randomErasing({ p: 1, value: [1, 2] })(x),
    ShapeError,
    "Cannot apply randomErasing() with 2 values to shape [3, 10, 10]: expected 1 or 3 (one per channel)",
  );
});

Deno.test("compose passes a call-time generator to every random transform", () => {
  const t = compose([randomHorizontalFlip(0.5), randomCrop(3, { padding: 1 })]);
  const x = rand([1, 3, 3]);
  assert.ok(same(t(x, new Rng(11)), t(x, new Rng(11))));
});
