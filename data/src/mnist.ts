/**
 * MNIST and Fashion-MNIST: 28x28 grayscale images with labels 0..9, read
 * from IDX files found on disk or downloaded to the user cache.
 *
 * @module
 */
import { fmtShape } from "@dendrite/tensor";
import { ByteImageDataset } from "./byte_images.ts";
import { readIdx } from "./idx.ts";
import {
  datasetSearchPaths,
  downloadFile,
  findDatasetFiles,
  type SearchPlace,
  userCacheDir,
} from "./locate.ts";
import type { Transform } from "./transforms.ts";

/** Options for `MNIST.load` and `FashionMNIST.load`. */
export interface MnistOptions {
  /** A folder holding the IDX files, searched first. */
  root?: string;
  /** Load the 60,000 training images (true, default) or the 10,000 test images. */
  train?: boolean;
  /** Applied to each image tensor `[1, 28, 28]` (float32 in 0..1) by `get` and `batch`. */
  transform?: Transform;
  /** Download to the user cache when the files are not found (default true). */
  download?: boolean;
  /** Show a download progress bar on stderr (default true). */
  progress?: boolean;
}

interface MnistSpec {
  title: string;
  dirName: string;
  mirrors: string[];
  md5: Record<string, string>;
  system: SearchPlace[];
  install: string[];
  classes: string[];
}

const FILES = {
  train: ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"],
  test: ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
};

const MNIST_SPEC: MnistSpec = {
  title: "MNIST",
  dirName: "mnist",
  mirrors: ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"],
  md5: {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
  },
  system: [],
  install: [],
  classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
};

const FASHION_SPEC: MnistSpec = {
  title: "Fashion-MNIST",
  dirName: "fashion-mnist",
  mirrors: [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
  ],
  md5: {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
  },
  system: [{
    dir: "/usr/share/datasets/fashion-mnist",
    source: "Debian package dataset-fashion-mnist",
  }],
  install: ["install the Debian/Ubuntu package: sudo apt-get install dataset-fashion-mnist"],
  classes: [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
  ],
};

/** The raw contents of an MNIST-style split, as parsed from its IDX files. */
interface RawSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  root: string;
}

/**
 * Parses an image IDX file and a label IDX file and checks they fit together.
 *
 * @param imageBytes The image file (raw or gzipped).
 * @param labelBytes The label file (raw or gzipped).
 * @param names File names for messages.
 * @returns The images, labels and sizes.
 */
function parsePair(
  imageBytes: Uint8Array,
  labelBytes: Uint8Array,
  names: [string, string],
  classes: number,
): Omit<RawSplit, "root"> {
  const img = readIdx(imageBytes, { name: names[0] });
  const lab = readIdx(labelBytes, { name: names[1] });
  if (img.shape.length !== 3 || !(img.data instanceof Uint8Array)) {
    throw new Error(
      `Cannot read images from ${
        names[0]
      }: expected unsigned bytes of shape [N, H, W], got ${img.data.constructor.name} of shape ${
        fmtShape(img.shape)
      }`,
    );
  }
  if (lab.shape.length !== 1 || !(lab.data instanceof Uint8Array)) {
    throw new Error(
      `Cannot read labels from ${
        names[1]
      }: expected unsigned bytes of shape [N], got ${lab.data.constructor.name} of shape ${
        fmtShape(lab.shape)
      }`,
    );
  }
  if (img.shape[0] !== lab.shape[0]) {
    throw new Error(
      `Cannot pair ${names[0]} (shape ${fmtShape(img.shape)}) with ${names[1]} (shape ${
        fmtShape(lab.shape)
      }): the image and label counts differ`,
    );
  }
  const labels = lab.data;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new Error(
        `Cannot read labels from ${names[1]}: label ${
          labels[i]
        } at index ${i} is not below ${classes}`,
      );
    }
  }
  return {
    images: img.data,
    labels,
    count: img.shape[0],
    height: img.shape[1],
    width: img.shape[2],
  };
}

async function locateAndRead(spec: MnistSpec, options: MnistOptions): Promise<RawSplit> {
  const train = options.train ?? true;
  const files = train ? FILES.train : FILES.test;
  const places = datasetSearchPaths(spec.dirName, { root: options.root, system: spec.system });
  const found = findDatasetFiles(places, files);
  if ("dir" in found) {
    const [a, b] = await Promise.all(found.paths.map((p) => Deno.readFile(p)));
    return {
      ...parsePair(a, b, [found.paths[0], found.paths[1]], spec.classes.length),
      root: found.dir,
    };
  }
  const cache = userCacheDir(spec.dirName);
  const split = train ? "training" : "test";
  let downloadNote: string;
  if ((options.download ?? true) && cache) {
    const errors: string[] = [];
    for (const mirror of spec.mirrors) {
      try {
        const got: Uint8Array[] = [];
        const paths: string[] = [];
        for (const f of files) {
          const gz = `${f}.gz`;
          const dest = `${cache}/${gz}`;
          got.push(
            await downloadFile(mirror + gz, dest, {
              md5: spec.md5[gz],
              progress: options.progress ?? true,
            }),
          );
          paths.push(dest);
        }
        return {
          ...parsePair(got[0], got[1], [paths[0], paths[1]], spec.classes.length),
          root: cache,
        };
      } catch (e) {
        errors.push(`${mirror}: ${(e as Error).message}`);
      }
    }
    downloadNote = `Downloading failed:\n${errors.map((e) => `  ${e}`).join("\n")}`;
  } else {
    downloadNote = cache
      ? "Downloading is off (download: false)."
      : "Downloading is off: no user cache folder (set HOME or XDG_CACHE_HOME).";
  }
  const ways = [
    ...spec.install,
    `put the files in $DENDRITE_DATA/${spec.dirName} and set DENDRITE_DATA, or pass { root }`,
    `download ${files.map((f) => f + ".gz").join(" and ")} from ${spec.mirrors[0]} into ${
      cache ?? `~/.cache/dendrite/${spec.dirName}`
    }`,
    "or load with { download: true } and network access (deno run --allow-net)",
  ];
  throw new Error(
    `Cannot find the ${spec.title} ${split} files (${
      files.map((f) => f + "[.gz]").join(", ")
    }). Looked in:\n${
      found.report.map((r) => `  ${r}`).join("\n")
    }\n${downloadNote}\nTo get the data:\n${ways.map((w) => `  - ${w}`).join("\n")}`,
  );
}

/**
 * The MNIST handwritten digits (LeCun et al.): 60,000 training and 10,000
 * test images, 28x28 grayscale, labels 0..9, like `torchvision.datasets.MNIST`.
 *
 * @example
 * ```ts ignore
 * import { DataLoader, MNIST } from "@dendrite/data";
 * const train = await MNIST.load({ train: true });
 * for await (const [x, y] of new DataLoader(train, { batchSize: 64, shuffle: true, seed: 0 })) {
 *   // x: [64, 1, 28, 28] float32, y: [64] int32
 * }
 * ```
 */
export class MNIST extends ByteImageDataset {
  /**
   * Lists the folders `load` searches, in order.
   *
   * @param options `root`.
   * @returns The places, each with its folder (undefined when its variable is unset) and origin.
   * @example
   * ```ts
   * import { MNIST } from "@dendrite/data";
   * const places = MNIST.searchPaths({ root: "/data/x" });
   * console.assert(places[0].dir === "/data/x" && places[1].source === "$DENDRITE_DATA/mnist");
   * ```
   */
  static searchPaths(options: { root?: string } = {}): SearchPlace[] {
    return datasetSearchPaths(MNIST_SPEC.dirName, {
      root: options.root,
      system: MNIST_SPEC.system,
    });
  }

  /**
   * Loads a split, searching in order: `root`, `$DENDRITE_DATA/mnist`, the
   * user cache (`~/.cache/dendrite/mnist`); then downloads to the cache
   * (checking the published MD5s) unless `download: false`. Files may be
   * plain or gzipped. When nothing works the error lists every place
   * searched and how to get the data.
   *
   * @param options `root`, `train` (default true), `transform`, `download` (default true), `progress`.
   * @returns The dataset.
   * @example
   * ```ts ignore
   * import { MNIST } from "@dendrite/data";
   * const test = await MNIST.load({ train: false, download: false });
   * console.log(test.length); // 10000
   * ```
   */
  static async load(options: MnistOptions = {}): Promise<MNIST> {
    const raw = await locateAndRead(MNIST_SPEC, options);
    return new MNIST(raw.images, raw.labels, {
      height: raw.height,
      width: raw.width,
      classes: MNIST_SPEC.classes,
      transform: options.transform,
      root: raw.root,
    });
  }
}

/**
 * Fashion-MNIST (Xiao et al., 2017): 60,000 training and 10,000 test
 * 28x28 grayscale images of clothing in 10 classes, a drop-in replacement for
 * MNIST, like `torchvision.datasets.FashionMNIST`.
 *
 * @example
 * ```ts
 * import { FashionMNIST } from "@dendrite/data";
 * const test = await FashionMNIST.load({ train: false, download: false });
 * const [image, label] = test.get(0); // image [1, 28, 28] in 0..1
 * console.assert(image.shape.join() === "1,28,28" && test.classes[label] === "Ankle boot");
 * ```
 */
export class FashionMNIST extends ByteImageDataset {
  /**
   * Lists the folders `load` searches, in order.
   *
   * @param options `root`.
   * @returns The places, each with its folder (undefined when its variable is unset) and origin.
   * @example
   * ```ts
   * import { FashionMNIST } from "@dendrite/data";
   * const places = FashionMNIST.searchPaths({ root: "/data/x" });
   * console.assert(places[0].dir === "/data/x" && places[1].source === "$DENDRITE_DATA/fashion-mnist");
   * ```
   */
  static searchPaths(options: { root?: string } = {}): SearchPlace[] {
    return datasetSearchPaths(FASHION_SPEC.dirName, {
      root: options.root,
      system: FASHION_SPEC.system,
    });
  }

  /**
   * Loads a split, searching in order: `root`, `$DENDRITE_DATA/fashion-mnist`,
   * the user cache (`~/.cache/dendrite/fashion-mnist`), and
   * `/usr/share/datasets/fashion-mnist` (Debian's `dataset-fashion-mnist`);
   * then downloads to the cache (checking the published MD5s) unless
   * `download: false`. When nothing works the error lists every place
   * searched and how to get the data.
   *
   * @param options `root`, `train` (default true), `transform`, `download` (default true), `progress`.
   * @returns The dataset.
   * @example
   * ```ts
   * import { FashionMNIST } from "@dendrite/data";
   * // Needs the files: here from Debian's dataset-fashion-mnist package.
   * const test = await FashionMNIST.load({ train: false, download: false });
   * console.assert(test.length === 10000);
   * ```
   */
  static async load(options: MnistOptions = {}): Promise<FashionMNIST> {
    const raw = await locateAndRead(FASHION_SPEC, options);
    return new FashionMNIST(raw.images, raw.labels, {
      height: raw.height,
      width: raw.width,
      classes: FASHION_SPEC.classes,
      transform: options.transform,
      root: raw.root,
    });
  }
}
