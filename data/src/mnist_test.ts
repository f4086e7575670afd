import assert from "node:assert/strict";
import { gzipSync } from "fflate";
import {
  ByteImageDataset,
  DataLoader,
  datasetSearchPaths,
  FashionMNIST,
  MNIST,
  userCacheDir,
} from "@dendrite/data";
import { assertClose, testOnBackends } from "@dendrite/tensor/testing";
import type { Tensor } from "@dendrite/tensor";

const SYSTEM_DIR = "/usr/share/datasets/fashion-mnist";

function idx(type: number, dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, k) => v.setUint32(4 + 4 * k, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

// Every test that changes environment variables lives in this file, so that
// they run one after another even under `deno test --parallel`.

/** Runs `fn` with DENDRITE_DATA / XDG_CACHE_HOME set as given (undefined: unset), then restores them. */
async function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>) {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = Deno.env.get(k);
    if (v === undefined) Deno.env.delete(k);
    else Deno.env.set(k, v);
  }
  try {
    await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

/** Writes a tiny MNIST-style split (n images of h x w) into dir, gzipped or raw. */
async function writeSplit(
  dir: string,
  prefix: "train" | "t10k",
  n: number,
  options: { gz?: boolean; h?: number; w?: number; labels?: Uint8Array } = {},
): Promise<{ pixels: Uint8Array; labels: Uint8Array }> {
  const h = options.h ?? 28, w = options.w ?? 28;
  const pixels = Uint8Array.from({ length: n * h * w }, (_, i) => (i * 7 + 3) % 256);
  const labels = options.labels ?? Uint8Array.from({ length: n }, (_, i) => (i * 3) % 10);
  const enc = (b: Uint8Array) => (options.gz ? gzipSync(b) : b);
  const sfx = options.gz ? ".gz" : "";
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/${prefix}-images-idx3-ubyte${sfx}`, enc(idx(8, [n, h, w], pixels)));
  await Deno.writeFile(
    `${dir}/${prefix}-labels-idx1-ubyte${sfx}`,
    enc(idx(8, [labels.length], labels)),
  );
  return { pixels, labels };
}

testOnBackends("FashionMNIST loads the Debian dataset-fashion-mnist test split", async () => {
  // CI installs dataset-fashion-mnist; its absence is a setup error, not a skip.
  const stat = await Deno.stat(`${SYSTEM_DIR}/t10k-images-idx3-ubyte.gz`).catch(() => null);
  assert.ok(
    stat?.isFile,
    `${SYSTEM_DIR} is missing: install it with apt-get install dataset-fashion-mnist`,
  );
  const cache = await Deno.makeTempDir();
  await withEnv({ DENDRITE_DATA: undefined, XDG_CACHE_HOME: cache }, async () => {
    const ds = await FashionMNIST.load({ train: false, download: false });
    assert.equal(ds.root, SYSTEM_DIR);
    assert.equal(ds.length, 10000);
    assert.equal(ds.images.length, 10000 * 28 * 28);
    assert.equal(ds.classes[9], "Ankle boot");
    const hist = new Array(10).fill(0);
    for (const y of ds.labels) hist[y]++;
    assert.deepEqual(hist, new Array(10).fill(1000));
    const [img, label] = ds.get(0);
    assert.deepEqual(img.shape, [1, 28, 28]);
    assert.equal(img.dtype, "float32");
    assert.equal(label, ds.labels[0]);
    const v = img.dataSync();
    assert.ok(v.every((p) => p >= 0 && p <= 1));
    assert.ok(v.some((p) => p > 0.5), "the first test image is not blank");
    assertClose(img, Float32Array.from(ds.images.subarray(0, 784), (b) => b / 255));
    // The batch fast path matches get().
    const [xb, yb] = ds.batch([0, 9999, 5]);
    assert.deepEqual(xb.shape, [3, 1, 28, 28]);
    assert.equal(yb.dtype, "int32");
    assert.deepEqual([...yb.dataSync()], [ds.labels[0], ds.labels[9999], ds.labels[5]]);
    assertClose(xb.slice([[1, 2]]).reshape([1, 28, 28]), ds.get(9999)[0]);
  });
});

testOnBackends("FashionMNIST batches through DataLoader with int32 labels", async () => {
  const cache = await Deno.makeTempDir();
  await withEnv({ DENDRITE_DATA: undefined, XDG_CACHE_HOME: cache }, async () => {
    const ds = await FashionMNIST.load({ train: false, download: false });
    const loader = new DataLoader(ds, { batchSize: 4096, shuffle: true, seed: 1 });
    assert.equal(loader.length, 3);
    const sizes: number[] = [];
    const hist = new Array(10).fill(0);
    for await (const [x, y] of loader) {
      assert.deepEqual(x.shape.slice(1), [1, 28, 28]);
      sizes.push(x.shape[0]);
      for (const v of y.dataSync()) hist[v]++;
    }
    assert.deepEqual(sizes, [4096, 4096, 1808]);
    assert.deepEqual(hist, new Array(10).fill(1000));
  });
});

testOnBackends("MNIST loads raw and gzipped files from root, train and test", async () => {
  const root = await Deno.makeTempDir();
  const train = await writeSplit(root, "train", 6, { gz: true, h: 4, w: 3 });
  const test = await writeSplit(root, "t10k", 2, { gz: false, h: 4, w: 3 });
  const a = await MNIST.load({ root, download: false });
  assert.equal(a.length, 6);
  assert.equal(a.root, root);
  assert.deepEqual([...a.labels], [...train.labels]);
  const [img, label] = a.get(-1);
  assert.deepEqual(img.shape, [1, 4, 3]);
  assert.equal(label, train.labels[5]);
  assertClose(img.reshape([12]), Float32Array.from(train.pixels.subarray(60, 72), (b) => b / 255));
  const b = await MNIST.load({ root, train: false, download: false });
  assert.equal(b.length, 2);
  assert.deepEqual([...b.images], [...test.pixels]);
});

testOnBackends("MNIST applies transform in get and batch", async () => {
  const root = await Deno.makeTempDir();
  await writeSplit(root, "t10k", 3, { h: 2, w: 2 });
  const ds = await MNIST.load({
    root,
    train: false,
    download: false,
    transform: (x: Tensor) => x.mul(0).add(7),
  });
  assert.deepEqual([...ds.get(1)[0].dataSync()], [7, 7, 7, 7]);
  const [xb] = ds.batch([0, 2]);
  assert.deepEqual(xb.shape, [2, 1, 2, 2]);
  assert.ok(xb.dataSync().every((v) => v === 7));
});

Deno.test("MNIST searches root, then $DENDRITE_DATA/mnist, then the user cache", async () => {
  const root = await Deno.makeTempDir();
  const dd = await Deno.makeTempDir();
  const cache = await Deno.makeTempDir();
  await writeSplit(`${cache}/dendrite/mnist`, "t10k", 1, { h: 1, w: 1 });
  await withEnv({ DENDRITE_DATA: dd, XDG_CACHE_HOME: cache }, async () => {
    assert.equal((await MNIST.load({ train: false, download: false })).length, 1);
    await writeSplit(`${dd}/mnist`, "t10k", 2, { h: 1, w: 1 });
    assert.equal((await MNIST.load({ train: false, download: false })).length, 2);
    await writeSplit(root, "t10k", 3, { h: 1, w: 1 });
    const ds = await MNIST.load({ root, train: false, download: false });
    assert.equal(ds.length, 3);
    assert.equal(ds.root, root);
  });
});

Deno.test("MNIST without files lists every place searched and how to get the data", async () => {
  const root = await Deno.makeTempDir();
  const cache = await Deno.makeTempDir();
  await withEnv({ DENDRITE_DATA: undefined, XDG_CACHE_HOME: cache }, async () => {
    const err = await MNIST.load({ root, train: true, download: false }).then(
      () => null,
      (e) => e as Error,
    );
    assert.ok(err, "load must fail");
    const files = "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]";
    assert.equal(
      err.message,
      [
        `Cannot find the MNIST training files (${files}). Looked in:`,
        `  ${root} (root option): missing ${files}`,
        "  $DENDRITE_DATA/mnist: not set",
        `  ${cache}/dendrite/mnist (user cache): missing ${files}`,
        "Downloading is off (download: false).",
        "To get the data:",
        "  - put the files in $DENDRITE_DATA/mnist and set DENDRITE_DATA, or pass { root }",
        `  - download train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz from https://ossci-datasets.s3.amazonaws.com/mnist/ into ${cache}/dendrite/mnist`,
        "  - or load with { download: true } and network access (deno run --allow-net)",
      ].join("\n"),
    );
  });
});

Deno.test("FashionMNIST searches root, $DENDRITE_DATA, the user cache, then the Debian folder", async () => {
  const cache = await Deno.makeTempDir();
  await withEnv({ DENDRITE_DATA: "/srv/data", XDG_CACHE_HOME: cache }, () => {
    const places = FashionMNIST.searchPaths({ root: "/r" });
    assert.deepEqual(places.map((p) => p.dir), [
      "/r",
      "/srv/data/fashion-mnist",
      `${cache}/dendrite/fashion-mnist`,
      SYSTEM_DIR,
    ]);
    assert.equal(places[3].source, "Debian package dataset-fashion-mnist");
    return Promise.resolve();
  });
});

Deno.test("MNIST rejects mismatched image and label counts naming both files", async () => {
  const root = await Deno.makeTempDir();
  await writeSplit(root, "t10k", 3, { h: 2, w: 2, labels: new Uint8Array([1, 2]) });
  const err = await MNIST.load({ root, train: false, download: false }).catch((e) => e as Error);
  assert.equal(
    (err as Error).message,
    `Cannot pair ${root}/t10k-images-idx3-ubyte (shape [3, 2, 2]) with ${root}/t10k-labels-idx1-ubyte (shape [2]): the image and label counts differ`,
  );
});

Deno.test("MNIST rejects labels outside 0..9 and images of the wrong rank", async () => {
  const root = await Deno.makeTempDir();
  await writeSplit(root, "t10k", 2, { h: 1, w: 1, labels: new Uint8Array([1, 12]) });
  const err = await MNIST.load({ root, train: false, download: false }).catch((e) => e as Error);
  assert.equal(
    (err as Error).message,
    `Cannot read labels from ${root}/t10k-labels-idx1-ubyte: label 12 at index 1 is not below 10`,
  );
  const root2 = await Deno.makeTempDir();
  await Deno.writeFile(`${root2}/t10k-images-idx3-ubyte`, idx(8, [4], new Uint8Array(4)));
  await Deno.writeFile(`${root2}/t10k-labels-idx1-ubyte`, idx(8, [4], new Uint8Array(4)));
  const err2 = await MNIST.load({ root: root2, train: false, download: false }).catch((e) =>
    e as Error
  );
  assert.equal(
    (err2 as Error).message,
    `Cannot read images from ${root2}/t10k-images-idx3-ubyte: expected unsigned bytes of shape [N, H, W], got Uint8Array of shape [4]`,
  );
});

Deno.test("ByteImageDataset checks that pixels match the image count", () => {
  assert.throws(
    () =>
      new ByteImageDataset(new Uint8Array(5), new Uint8Array(2), {
        height: 1,
        width: 2,
        classes: [],
      }),
    {
      name: "RangeError",
      message: "Cannot create a dataset of 2 images [1, 1, 2] from 5 bytes: expected 4",
    },
  );
});

Deno.test("ByteImageDataset get rejects out-of-range indices", () => {
  const ds = new ByteImageDataset(new Uint8Array(4), new Uint8Array(2), {
    height: 1,
    width: 2,
    classes: [],
  });
  assert.throws(() => ds.get(2), {
    message: "Cannot get item 2 of ByteImageDataset with 2 items: expected an integer in [-2, 1]",
  });
});

Deno.test("userCacheDir prefers XDG_CACHE_HOME, then ~/.cache on Linux", async () => {
  if (Deno.build.os !== "linux") return;
  await withEnv({ XDG_CACHE_HOME: "/x/cache" }, () => {
    assert.equal(userCacheDir("mnist"), "/x/cache/dendrite/mnist");
    return Promise.resolve();
  });
  await withEnv({ XDG_CACHE_HOME: undefined }, () => {
    const home = Deno.env.get("HOME");
    assert.equal(userCacheDir("mnist"), home ? `${home}/.cache/dendrite/mnist` : undefined);
    return Promise.resolve();
  });
});

Deno.test("datasetSearchPaths orders root, $DENDRITE_DATA, cache, system", async () => {
  await withEnv({ DENDRITE_DATA: "/d" }, () => {
    const p = datasetSearchPaths("cifar-10", {
      root: "/r",
      system: [{ dir: "/usr/share/x", source: "sys" }],
    });
    assert.deepEqual(p.map((x) => x.source), [
      "root option",
      "$DENDRITE_DATA/cifar-10",
      "user cache",
      "sys",
    ]);
    assert.equal(p[1].dir, "/d/cifar-10");
    return Promise.resolve();
  });
});
