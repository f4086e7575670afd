/**
 * Fashion-MNIST for the examples: IDX files (raw or gzip) read into
 * normalised batches straight from the byte arrays.
 *
 * @module
 */
import { gunzipSync } from "fflate";
import { fromTypedArray, type Tensor } from "@dendrite/tensor";

/** Class names in label order. */
export const CLASSES = [
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
];

/** One split: images as bytes `[n, 28, 28]` and labels. */
export interface Split {
  /** Pixel bytes, row-major. */
  images: Uint8Array;
  /** Labels 0..9. */
  labels: Uint8Array;
  /** Number of examples. */
  n: number;
}

const SEARCH = (root?: string) => {
  let env: string | undefined;
  try {
    env = Deno.env.get("DENDRITE_DATA");
  } catch {
    env = undefined;
  }
  const home = (() => {
    try {
      return Deno.env.get("HOME");
    } catch {
      return undefined;
    }
  })();
  return [
    root,
    env && `${env}/fashion-mnist`,
    home && `${home}/.cache/dendrite/fashion-mnist`,
    "/usr/share/datasets/fashion-mnist",
  ]
    .filter((p): p is string => !!p);
};

async function readIdx(
  dirs: string[],
  name: string,
  magic: number,
): Promise<{ dims: number[]; data: Uint8Array }> {
  for (const dir of dirs) {
    for (const file of [`${dir}/${name}`, `${dir}/${name}.gz`]) {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(file);
      } catch {
        continue;
      }
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (bytes.length < 8 || dv.getUint32(0) !== magic) {
        throw new Error(`Cannot read ${file}: not an IDX file with magic 0x${magic.toString(16)}`);
      }
      const nd = bytes[3];
      const dims = Array.from({ length: nd }, (_, i) => dv.getUint32(4 + 4 * i));
      const start = 4 + 4 * nd, size = dims.reduce((a, b) => a * b, 1);
      if (bytes.length < start + size) {
        throw new Error(
          `Cannot read ${file}: truncated (${bytes.length - start} of ${size} data bytes)`,
        );
      }
      return { dims, data: bytes.subarray(start, start + size) };
    }
  }
  throw new Error(
    `Cannot find Fashion-MNIST file ${name}[.gz]; looked in: ${dirs.join(", ")}. ` +
      "Install Debian's dataset-fashion-mnist package, set DENDRITE_DATA, or download the four IDX files " +
      "from https://github.com/zalandoresearch/fashion-mnist into one of those folders.",
  );
}

/**
 * Loads a Fashion-MNIST split.
 *
 * @param train Training (60,000) or test (10,000) split.
 * @param root Folder to look in first.
 * @param dirs Where to look (default: `root`, `$DENDRITE_DATA/fashion-mnist`,
 * `~/.cache/dendrite/fashion-mnist`, `/usr/share/datasets/fashion-mnist`).
 * @returns Images and labels.
 */
export async function loadFashionMnist(
  train: boolean,
  root?: string,
  dirs: string[] = SEARCH(root),
): Promise<Split> {
  const p = train ? "train" : "t10k";
  const img = await readIdx(dirs, `${p}-images-idx3-ubyte`, 0x803);
  const lab = await readIdx(dirs, `${p}-labels-idx1-ubyte`, 0x801);
  if (img.dims[0] !== lab.dims[0]) {
    throw new Error(`Fashion-MNIST ${p}: ${img.dims[0]} images but ${lab.dims[0]} labels`);
  }
  return { images: img.data, labels: lab.data, n: img.dims[0] };
}

const MEAN = 0.2860, STD = 0.3530;

/**
 * Builds a normalised batch `[b, 1, 28, 28]` and int32 labels from indices.
 *
 * @param split The split.
 * @param indices Example indices.
 * @returns Images and labels.
 */
export function batch(split: Split, indices: ArrayLike<number>): { x: Tensor; y: Tensor } {
  const b = indices.length;
  const x = new Float32Array(b * 784), y = new Int32Array(b);
  for (let k = 0; k < b; k++) {
    const i = indices[k], src = i * 784, dst = k * 784;
    for (let p = 0; p < 784; p++) x[dst + p] = (split.images[src + p] / 255 - MEAN) / STD;
    y[k] = split.labels[i];
  }
  return { x: fromTypedArray(x, [b, 1, 28, 28]), y: fromTypedArray(y, [b]) };
}
