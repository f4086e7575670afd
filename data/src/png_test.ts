import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { PNG } from "pngjs";
import { encodePng, ImageFolder, makeGrid, readPng, writePng } from "@dendrite/data";
import { arange, ShapeError, tensor, transpose, zeros } from "@dendrite/tensor";
import { assertClose, assertThrowsMessage } from "@dendrite/tensor/testing";

Deno.test("writePng then readPng round-trips a grayscale image", async () => {
  const x = arange(12).cast("float32").div(11).reshape([1, 3, 4]);
  const path = await Deno.makeTempFile({ suffix: ".png" });
  await writePng(path, x);
  const y = readPng(path);
  assert.deepEqual(y.shape, [1, 3, 4]);
  assertClose(y, x, { atol: 0.5 / 255 });
  // Values are stored as round(v * 255).
  const bytes = y.dataSync().map((v) => Math.round(v * 255));
  assert.deepEqual([...bytes], [...x.dataSync()].map((v) => Math.round(v * 255)));
});

Deno.test("writePng then readPng round-trips an RGB image and a [H, W] image", async () => {
  const rgb = tensor([[[1, 0], [0.5, 0]], [[0, 1], [0.5, 0]], [[0, 0], [0.5, 1]]]);
  const dir = await Deno.makeTempDir();
  await writePng(`${dir}/rgb.png`, rgb);
  assertClose(readPng(`${dir}/rgb.png`), rgb, { atol: 0.5 / 255 });
  await writePng(`${dir}/hw.png`, tensor([[0, 1]]));
  const hw = readPng(await Deno.readFile(`${dir}/hw.png`));
  assert.deepEqual(hw.shape, [1, 1, 2]);
  assertClose(hw, [[[0, 1]]]);
});

Deno.test("encodePng clamps values to 0..1 (NaN as 0) and accepts non-contiguous input", () => {
  const y = readPng(encodePng(tensor([[[-1, 2, NaN, 0.2]]])));
  assertClose(y, [[[0, 1, 0, 51 / 255]]]);
  const t = transpose(tensor([[0, 1], [0, 0]]), 0, 1); // [[0, 0], [1, 0]]
  assertClose(readPng(encodePng(t)), [[[0, 0], [1, 0]]]);
  assertThrowsMessage(
    () => encodePng(zeros([2, 3, 3])),
    ShapeError,
    "Cannot encodePng() shape [2, 3, 3]: expected [H, W], [1, H, W] or [3, H, W]",
  );
  assertThrowsMessage(
    () => encodePng(zeros([0, 3])),
    ShapeError,
    "Cannot encodePng() shape [0, 3]: the image is empty",
  );
});

Deno.test("readPng drops alpha from RGBA, reads palette and 16-bit images", () => {
  // RGBA written directly with pngjs: alpha must not leak into the channels.
  const rgba = new PNG({ width: 2, height: 1 });
  rgba.data = Buffer.from([255, 0, 0, 10, 0, 0, 255, 200]);
  const y = readPng(new Uint8Array(PNG.sync.write(rgba)));
  assert.deepEqual(y.shape, [3, 1, 2]);
  assertClose(y, [[[1, 0]], [[0, 0]], [[0, 1]]]);
  // 16-bit grayscale keeps full precision (value / 65535).
  const g16 = PNG.sync.write(
    { width: 2, height: 1, data: new Uint16Array([0x1234, 65535]) } as unknown as PNG,
    { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 16 },
  );
  const y16 = readPng(new Uint8Array(g16));
  assert.deepEqual(y16.shape, [1, 1, 2]);
  assertClose(y16, [[[0x1234 / 65535, 1]]], { atol: 1e-7 });
  assertThrowsMessage(
    () => readPng(new Uint8Array([1, 2, 3]), { name: "bad.png" }),
    Error,
    /^Cannot read PNG bad\.png: /,
  );
});

Deno.test("makeGrid tiles images with padding like torchvision", () => {
  const imgs = zeros([5, 3, 2, 2]).add(1);
  const g = makeGrid(imgs, { nrow: 2, padding: 1, padValue: 0.5 });
  // 3 rows x 2 cols of 2x2 cells with 1 px padding: H = 3 * 3 + 1, W = 2 * 3 + 1.
  assert.deepEqual(g.shape, [3, 10, 7]);
  const d = g.dataSync();
  const at = (c: number, y: number, x: number) => d[(c * 10 + y) * 7 + x];
  assert.equal(at(0, 0, 0), 0.5); // border
  assert.equal(at(0, 1, 1), 1); // image 0
  assert.equal(at(2, 3, 4), 0.5); // gap between rows
  assert.equal(at(1, 4, 5), 1); // image 3 (row 1, col 1)
  assert.equal(at(0, 7, 4), 0.5); // empty slot of image 5
  assert.equal(d.filter((v) => v === 1).length, 5 * 3 * 4);
  // Default options: nrow 8, padding 2.
  assert.deepEqual(makeGrid(zeros([10, 3, 4, 4])).shape, [3, 2 * 6 + 2, 8 * 6 + 2]);
});

Deno.test("makeGrid repeats gray to 3 channels, takes lists, returns a single image unpadded", () => {
  const g = makeGrid([zeros([1, 2, 2]), zeros([1, 2, 2]).add(1)], { padding: 0 });
  assert.deepEqual(g.shape, [3, 2, 4]);
  assertClose(g.slice([[2, 3]]).reshape([2, 4]), [[0, 0, 1, 1], [0, 0, 1, 1]]);
  assert.deepEqual(makeGrid(zeros([1, 3, 5, 5])).shape, [3, 5, 5]);
  assert.deepEqual(makeGrid(zeros([4, 4])).shape, [3, 4, 4]);
  const n = makeGrid(tensor([[[[2, 4]]], [[[6, 10]]]]), { normalize: true, padding: 0 });
  assertClose(n.slice([[0, 1]]), [[[0, 0.25, 0.5, 1]]]);
  const each = makeGrid(tensor([[[[2, 4]]], [[[6, 10]]]]), {
    normalize: true,
    scaleEach: true,
    padding: 0,
  });
  assertClose(each.slice([[0, 1]]), [[[0, 1, 0, 1]]]);
  assertThrowsMessage(
    () => makeGrid(zeros([2])),
    ShapeError,
    "Cannot makeGrid() shape [2]: expected [N, C, H, W], [C, H, W] or [H, W]",
  );
});

Deno.test("ImageFolder maps sorted class folders to labels and reads PNGs", async () => {
  const root = await Deno.makeTempDir();
  for (const c of ["zebra", "ant"]) await Deno.mkdir(`${root}/${c}`);
  await writePng(`${root}/zebra/2.png`, zeros([1, 3, 3]).add(1));
  await writePng(`${root}/zebra/1.png`, zeros([3, 3, 3]));
  await writePng(`${root}/ant/x.png`, zeros([3, 2, 2]).add(0.2));
  await Deno.writeTextFile(`${root}/ant/notes.txt`, "not an image");
  const ds = await ImageFolder.load(root, { transform: (x) => x.mul(2) });
  assert.deepEqual(ds.classes, ["ant", "zebra"]);
  assert.deepEqual(ds.classToIndex, { ant: 0, zebra: 1 });
  assert.equal(ds.length, 3);
  assert.deepEqual(ds.samples.map(([p, l]) => [p.slice(root.length), l]), [
    ["/ant/x.png", 0],
    ["/zebra/1.png", 1],
    ["/zebra/2.png", 1],
  ]);
  const [a, la] = ds.get(0);
  assert.deepEqual(a.shape, [3, 2, 2]);
  assert.equal(la, 0);
  assertClose(a, zeros([3, 2, 2]).add(0.4), { atol: 1e-2 });
  const [g, lg] = ds.get(2);
  assert.deepEqual(g.shape, [1, 3, 3]); // grayscale stays 1 channel
  assert.equal(lg, 1);
  assert.ok(g.dataSync().every((v) => v === 2));
});

Deno.test("ImageFolder reports empty roots and class folders without images", async () => {
  const root = await Deno.makeTempDir();
  await assert.rejects(ImageFolder.load(root), {
    message:
      `Cannot load ImageFolder ${root}: it has no class folders (expected ${root}/<class>/<image>.png)`,
  });
  await Deno.mkdir(`${root}/a`);
  await assert.rejects(ImageFolder.load(root), {
    message: `Cannot load ImageFolder ${root}: its class folders (a) hold no .png files`,
  });
});
