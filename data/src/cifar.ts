/**
 * CIFAR-10 from its binary distribution (`cifar-10-binary.tar.gz`, files
 * `data_batch_1.bin` .. `data_batch_5.bin` and `test_batch.bin`).
 *
 * @module
 */
import { ByteImageDataset } from "./byte_images.ts";
import { maybeGunzip } from "./idx.ts";
import { datasetSearchPaths, findDatasetFiles, type SearchPlace } from "./locate.ts";
import type { Transform } from "./transforms.ts";

const RECORD = 1 + 3 * 32 * 32;
const CIFAR10_CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];
const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

/** The images and labels of one CIFAR-10 batch file. */
export interface CifarBatch {
  /** Pixels `[N, 3, 32, 32]` row-major (channel planes R, G, B). */
  images: Uint8Array;
  /** Labels 0..9. */
  labels: Uint8Array;
  /** The number of records. */
  count: number;
}

/** Options for {@link readCifar10Batch}. */
export interface ReadCifarOptions {
  /** The file name used in error messages (default "CIFAR-10 data"). */
  name?: string;
}

/**
 * Parses a CIFAR-10 binary batch (e.g. `data_batch_1.bin`): records of one
 * label byte followed by 3072 pixel bytes (1024 red, 1024 green, 1024 blue,
 * each a row-major 32x32 plane). Gzipped input is inflated first.
 *
 * @param bytes The file contents.
 * @param options `name` for error messages.
 * @returns `{ images, labels, count }` with images `[N, 3, 32, 32]`.
 * @example
 * ```ts
 * import { readCifar10Batch } from "@dendrite/data";
 * const rec = new Uint8Array(3073);
 * rec[0] = 7; // label
 * rec[1] = 255; // top-left red pixel
 * const b = readCifar10Batch(rec);
 * console.assert(b.count === 1 && b.labels[0] === 7 && b.images[0] === 255);
 * ```
 */
export function readCifar10Batch(bytes: Uint8Array, options: ReadCifarOptions = {}): CifarBatch {
  const name = options.name ?? "CIFAR-10 data";
  const buf = maybeGunzip(bytes, name);
  if (buf.length === 0 || buf.length % RECORD !== 0) {
    throw new Error(
      `Cannot read CIFAR-10 batch ${name}: ${buf.length} bytes is not a positive multiple of the ${RECORD}-byte record (1 label + 3072 pixels)`,
    );
  }
  const count = buf.length / RECORD;
  const images = new Uint8Array(count * (RECORD - 1));
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const o = i * RECORD;
    const label = buf[o];
    if (label > 9) {
      throw new Error(
        `Cannot read CIFAR-10 batch ${name}: record ${i} has label ${label}, expected 0..9`,
      );
    }
    labels[i] = label;
    images.set(buf.subarray(o + 1, o + RECORD), i * (RECORD - 1));
  }
  return { images, labels, count };
}

/** Options for `CIFAR10.load`. */
export interface Cifar10Options {
  /** A folder holding the `.bin` files (or their `cifar-10-batches-bin` folder), searched first. */
  root?: string;
  /** Load the 50,000 training images (true, default) or the 10,000 test images. */
  train?: boolean;
  /** Applied to each image tensor `[3, 32, 32]` (float32 in 0..1). */
  transform?: Transform;
}

/**
 * CIFAR-10 (Krizhevsky, 2009): 32x32 colour images in 10 classes, 50,000 for
 * training and 10,000 for testing, like `torchvision.datasets.CIFAR10`.
 * Items are `[image [3, 32, 32] float32 in 0..1, label]`.
 *
 * @example
 * ```ts
 * import { CIFAR10 } from "@dendrite/data";
 * const root = await Deno.makeTempDir();
 * const rec = new Uint8Array(2 * 3073);
 * rec[3073] = 9; // second record: label 9
 * await Deno.writeFile(`${root}/test_batch.bin`, rec);
 * const ds = await CIFAR10.load({ root, train: false });
 * console.assert(ds.length === 2 && ds.get(1)[1] === 9 && ds.classes[9] === "truck");
 * ```
 */
export class CIFAR10 extends ByteImageDataset {
  /**
   * Loads a split from the binary batches, searching in order: `root`,
   * `$DENDRITE_DATA/cifar-10`, the user cache (`~/.cache/dendrite/cifar-10`),
   * each also in its `cifar-10-batches-bin` sub-folder. There is no
   * automatic download; the error lists every place searched and the
   * archive's address.
   *
   * @param options `root`, `train` (default true), `transform`.
   * @returns The dataset.
   * @example
   * ```ts ignore
   * import { CIFAR10 } from "@dendrite/data";
   * const train = await CIFAR10.load({ root: "data/cifar-10-batches-bin" });
   * console.log(train.length); // 50000
   * ```
   */
  static async load(options: Cifar10Options = {}): Promise<CIFAR10> {
    const train = options.train ?? true;
    const files = train ? [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`) : ["test_batch.bin"];
    const places: SearchPlace[] = [];
    for (const p of datasetSearchPaths("cifar-10", { root: options.root })) {
      places.push(p);
      if (p.dir !== undefined) {
        places.push({ dir: `${p.dir}/cifar-10-batches-bin`, source: p.source });
      }
    }
    const found = findDatasetFiles(places, files);
    if (!("dir" in found)) {
      throw new Error(
        `Cannot find the CIFAR-10 ${train ? "training" : "test"} files (${
          files.join(", ")
        }). Looked in:\n${
          found.report.map((r) => `  ${r}`).join("\n")
        }\nTo get the data: download ${CIFAR10_URL} and extract it (tar xzf) into $DENDRITE_DATA/cifar-10 (set DENDRITE_DATA) or the user cache folder, or pass { root }`,
      );
    }
    const batches = await Promise.all(
      found.paths.map(async (p) => readCifar10Batch(await Deno.readFile(p), { name: p })),
    );
    const count = batches.reduce((s, b) => s + b.count, 0);
    const images = new Uint8Array(count * (RECORD - 1)), labels = new Uint8Array(count);
    let n = 0;
    for (const b of batches) {
      images.set(b.images, n * (RECORD - 1));
      labels.set(b.labels, n);
      n += b.count;
    }
    return new CIFAR10(images, labels, {
      channels: 3,
      height: 32,
      width: 32,
      classes: CIFAR10_CLASSES,
      transform: options.transform,
      root: found.dir,
    });
  }
}
