import assert from "node:assert/strict";
import {
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  compose,
  crop,
  hflip,
  minMaxScale,
  normalize,
  remapImage,
  resize,
  resizedCrop,
  resizeShape,
  rotate,
  subtractMean,
  toTensor,
  vflip,
} from "@dendrite/data";
import { arange, DTypeError, ShapeError, tensor, transpose, zeros } from "@dendrite/tensor";
import {
  assertClose,
  assertThrowsMessage,
  type FixtureTensor,
  fromFixture,
  loadFixtures,
} from "@dendrite/tensor/testing";

const fx = await loadFixtures<Record<string, FixtureTensor> & { zca_eps: number }>(
  new URL("../testdata/data.json", import.meta.url),
);

// A 2x3 single-channel image:
// 1 2 3
// 4 5 6
const img = () => tensor([[[1, 2, 3], [4, 5, 6]]]);

Deno.test("toTensor converts HWC bytes, [H, W] arrays and tensors to [C, H, W] in 0..1", () => {
  const rgb = toTensor({ data: new Uint8Array([255, 0, 51, 0, 255, 102]), width: 2, height: 1 });
  assert.deepEqual(rgb.shape, [3, 1, 2]);
  assertClose(rgb, [[[1, 0]], [[0, 1]], [[0.2, 0.4]]]);
  const gray = toTensor([[0, 255], [51, 255]]);
  assert.deepEqual(gray.shape, [1, 2, 2]);
  assertClose(gray, [[[0, 1], [0.2, 1]]]);
  const hwc = toTensor(tensor([[[255, 0]], [[0, 255]]])); // [H=2, W=1, C=2]
  assertClose(hwc, [[[1], [0]], [[0], [1]]]);
  assertThrowsMessage(
    () => toTensor({ data: new Uint8Array(5), width: 2, height: 1, channels: 3 }),
    RangeError,
    "Cannot apply toTensor() to 5 values for a 2x1 image: expected width * height * channels values",
  );
  assertThrowsMessage(
    () => toTensor(zeros([2])),
    ShapeError,
    "Cannot apply toTensor() to shape [2]: expected [H, W] or [H, W, C]",
  );
});

Deno.test("normalize matches (x - mean) / std per channel (PyTorch values)", () => {
  const y = normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(
    fromFixture(fx.normalize_input),
  );
  assertClose(y, fromFixture(fx.normalize_output), { atol: 1e-5 });
  // A batch [N, C, H, W] and a single mean for all channels.
  const b = normalize([1], [2])(zeros([2, 3, 1, 1]).add(5));
  assert.ok(b.dataSync().every((v) => v === 2));
  assertThrowsMessage(
    () => normalize([0.5, 0.5], [0.5, 0.5])(zeros([3, 2, 2])),
    ShapeError,
    "Cannot normalize() shape [3, 2, 2] with 2 means: the image has 3 channels",
  );
  assertThrowsMessage(
    () => normalize([0.5], [0]),
    RangeError,
    "Cannot create normalize() with std[0] = 0: expected a finite non-zero value",
  );
  assertThrowsMessage(
    () => normalize([0.5], [1])(zeros([2, 2])),
    ShapeError,
    "Cannot apply normalize() to shape [2, 2]: expected an image [..., C, H, W]",
  );
  assertThrowsMessage(
    () => normalize([0.5], [1])(zeros([1, 2, 2], { dtype: "int32" })),
    DTypeError,
    "Cannot apply normalize() to dtype int32: expected float32",
  );
});

Deno.test("subtractMean zeroes each channel's mean and minMaxScale maps to 0..1", () => {
  const x = tensor([[[1, 3]], [[10, 30]]]); // 2 channels
  assertClose(subtractMean(x), [[[-1, 1]], [[-10, 10]]]);
  assertClose(minMaxScale(x), [[[0, 2 / 29]], [[9 / 29, 1]]]);
  assertClose(minMaxScale(zeros([1, 2, 2]).add(3)), [[[0, 0], [0, 0]]]);
  // Batches are scaled per image.
  assertClose(minMaxScale(tensor([[[[0, 2]]], [[[4, 5]]]])), [[[[0, 1]]], [[[0, 1]]]]);
});

Deno.test("compose chains transforms left to right", () => {
  const t = compose([
    (x: ReturnType<typeof zeros>) => x.add(1),
    (x: ReturnType<typeof zeros>) => x.mul(3),
  ]);
  assert.deepEqual([...t(zeros([1, 1, 1])).dataSync()], [3]);
  assertThrowsMessage(
    () => compose([1 as unknown as () => void]),
    TypeError,
    "Cannot compose() item 0 of type number: expected a function",
  );
});

Deno.test("hflip and vflip mirror a known image, also non-contiguous and batched", () => {
  assertClose(hflip(img()), [[[3, 2, 1], [6, 5, 4]]]);
  assertClose(vflip(img()), [[[4, 5, 6], [1, 2, 3]]]);
  const t = transpose(img().reshape([2, 3]), 0, 1); // [[1,4],[2,5],[3,6]]
  assertClose(hflip(t), [[4, 1], [5, 2], [6, 3]]);
  assertClose(hflip(arange(8).reshape([2, 1, 2, 2])), [[[[1, 0], [3, 2]]], [[[5, 4], [7, 6]]]]);
  const i = hflip(tensor(new Int32Array([1, 2]), { shape: [1, 2] }));
  assert.equal(i.dtype, "int32");
  assertThrowsMessage(
    () => hflip(zeros([3])),
    ShapeError,
    "Cannot apply hflip() to shape [3]: expected an image [..., H, W]",
  );
});

Deno.test("crop pads with constant, edge, reflect and symmetric modes", () => {
  const x = img();
  assertClose(crop(x, [0, 1, 2, 2]), [[[2, 3], [5, 6]]]);
  assertClose(crop(x, [-1, -1, 2, 3], { fill: 9 }), [[[9, 9, 9], [9, 1, 2]]]);
  assertClose(crop(x, [0, -2, 1, 7], { paddingMode: "edge" }), [[[1, 1, 1, 2, 3, 3, 3]]]);
  assertClose(crop(x, [0, -2, 1, 7], { paddingMode: "reflect" }), [[[3, 2, 1, 2, 3, 2, 1]]]);
  assertClose(crop(x, [0, -2, 1, 7], { paddingMode: "symmetric" }), [[[2, 1, 1, 2, 3, 3, 2]]]);
  assertClose(crop(x, [0, 0, 0, 2]), zeros([1, 0, 2]));
  assertThrowsMessage(
    () => crop(x, [0, 0, -1, 2]),
    RangeError,
    "Cannot crop() box [0, 0, -1, 2]: expected integers [top, left, height, width] with non-negative sizes",
  );
});

Deno.test("remapImage fills rows and columns marked -1", () => {
  const y = remapImage(img(), new Int32Array([1, -1]), new Int32Array([2, -1, 0]), 7);
  assertClose(y, [[[6, 7, 4], [7, 7, 7]]]);
});

Deno.test("resize matches torch interpolate (bilinear and nearest, align_corners=False)", () => {
  const x = fromFixture(fx.resize_input);
  const cases: [string, [number, number]][] = [["down", [3, 4]], ["up", [8, 11]], ["mixed", [
    9,
    3,
  ]]];
  for (const [name, size] of cases) {
    assertClose(resize(size)(x), fromFixture(fx[`resize_bilinear_${name}`]), { atol: 1e-5 });
    assertClose(
      resize(size, { interpolation: "nearest" })(x),
      fromFixture(fx[`resize_nearest_${name}`]),
    );
  }
  // A single size sets the shorter side and keeps the aspect ratio (truncated).
  assert.deepEqual(resize(10)(zeros([1, 20, 45])).shape, [1, 10, 22]);
  assert.deepEqual(resizeShape(45, 20, 10), [22, 10]);
  assertThrowsMessage(
    () => resize(0),
    RangeError,
    "Cannot create resize() with size 0: expected a positive integer or [height, width]",
  );
});

Deno.test("resizedCrop resamples only the window", () => {
  const x = img();
  // The window [0, 1, 2, 2] is [[2, 3], [5, 6]]; identity size returns it.
  assertClose(resizedCrop(x, [0, 1, 2, 2], [2, 2]), [[[2, 3], [5, 6]]]);
  assertClose(resizedCrop(x, [0, 1, 2, 2], [1, 1]), [[[4]]]);
  assertThrowsMessage(
    () => resizedCrop(x, [1, 0, 2, 2], [2, 2]),
    RangeError,
    "Cannot resizedCrop() box [1, 0, 2, 2] of a 2x3 image: expected a non-empty window inside it",
  );
});

Deno.test("rotate by 90/180/270 degrees matches exact rotations, 0 is identity", () => {
  const sq = arange(9).cast("float32").reshape([1, 3, 3]); // 0 1 2 / 3 4 5 / 6 7 8
  assertClose(rotate(sq, 0), sq);
  assertClose(rotate(sq, 90), [[[2, 5, 8], [1, 4, 7], [0, 3, 6]]]); // counter-clockwise
  assertClose(rotate(sq, -90), [[[6, 3, 0], [7, 4, 1], [8, 5, 2]]]);
  assertClose(rotate(sq, 180), [[[8, 7, 6], [5, 4, 3], [2, 1, 0]]]);
  assertClose(rotate(sq, 90, { interpolation: "bilinear" }), [[[2, 5, 8], [1, 4, 7], [0, 3, 6]]], {
    atol: 1e-5,
  });
  // 45 degrees leaves the centre and fills the corners.
  const r = rotate(zeros([1, 5, 5]).add(1), 45, { fill: -1 }).dataSync();
  assert.equal(r[12], 1);
  assert.equal(r[0], -1);
});

Deno.test("adjustBrightness, adjustContrast, adjustSaturation match torchvision's formulas", () => {
  const x = fromFixture(fx.color_input);
  assertClose(adjustBrightness(x, 1.4), fromFixture(fx.brightness_1_4), { atol: 1e-6 });
  assertClose(adjustContrast(x, 0.6), fromFixture(fx.contrast_0_6), { atol: 1e-6 });
  assertClose(adjustContrast(x, 1.7), fromFixture(fx.contrast_1_7), { atol: 1e-6 });
  assertClose(adjustSaturation(x, 0.3), fromFixture(fx.saturation_0_3), { atol: 1e-6 });
  assertClose(adjustSaturation(x, 1.8), fromFixture(fx.saturation_1_8), { atol: 1e-6 });
  const g = tensor([[[0.2, 0.4]]]);
  assertClose(adjustSaturation(g, 0), g);
  assertThrowsMessage(
    () => adjustContrast(zeros([2, 2, 2]), 1),
    ShapeError,
    "Cannot apply adjustContrast() to shape [2, 2, 2]: expected 1 or 3 channels, got 2",
  );
});
