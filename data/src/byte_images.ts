/**
 * `ByteImageDataset`: labelled 8-bit images held in one typed array.
 *
 * @module
 */
import { stack, type Tensor } from "@dendrite/tensor";
import { checkIndex, type Dataset } from "./dataset.ts";
import type { Transform } from "./transforms.ts";
import { cpuTensor } from "./_image.ts";

/** The float value of each byte, `v / 255`, as torchvision's `ToTensor` computes it. */
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * An in-memory dataset of 8-bit images with labels (the shared implementation
 * of MNIST, Fashion-MNIST and CIFAR-10): all pixels in one `Uint8Array`
 * (`[N, C, H, W]` row-major), converted to float tensors per item or per
 * batch.
 *
 * Items are `[image [C, H, W] float32 in 0..1 (after transform), label]`;
 * `batch(indices)` gives `[images [B, C, H, W], labels int32 [B]]` in one go.
 *
 * @example
 * ```ts
 * import { ByteImageDataset } from "@dendrite/data";
 * const ds = new ByteImageDataset(new Uint8Array([0, 255, 51, 102]), new Uint8Array([3, 1]), {
 *   height: 1, width: 2, classes: ["a", "b", "c", "d"],
 * });
 * const [img, label] = ds.get(0);
 * console.assert(img.shape.join() === "1,1,2" && img.dataSync()[1] === 1 && label === 3);
 * ```
 */
export class ByteImageDataset implements Dataset<[Tensor, number]> {
  /** Every image's pixels, `[N, C, H, W]` row-major. */
  readonly images: Uint8Array;
  /** Every label. */
  readonly labels: Uint8Array;
  /** Channels per image. */
  readonly channels: number;
  /** Image height. */
  readonly height: number;
  /** Image width. */
  readonly width: number;
  /** Class names by label. */
  readonly classes: readonly string[];
  /** Applied to each image tensor. */
  readonly transform: Transform | undefined;
  /** The folder the files were read from (empty when built from memory). */
  readonly root: string;

  /**
   * Wraps images and labels held in memory.
   *
   * @param images Pixels `[N, C, H, W]`, row-major.
   * @param labels One label per image.
   * @param options `height`, `width`, `classes`, and optional `channels` (default 1), `transform`, `root`.
   */
  constructor(
    images: Uint8Array,
    labels: Uint8Array,
    options: {
      channels?: number;
      height: number;
      width: number;
      classes: readonly string[];
      transform?: Transform;
      root?: string;
    },
  ) {
    const c = options.channels ?? 1;
    const per = c * options.height * options.width;
    if (images.length !== labels.length * per) {
      throw new RangeError(
        `Cannot create a dataset of ${labels.length} images [${c}, ${options.height}, ${options.width}] from ${images.length} bytes: expected ${
          labels.length * per
        }`,
      );
    }
    this.channels = c;
    this.images = images;
    this.labels = labels;
    this.height = options.height;
    this.width = options.width;
    this.classes = options.classes;
    this.transform = options.transform;
    this.root = options.root ?? "";
  }

  /** The number of images. */
  get length(): number {
    return this.labels.length;
  }

  /**
   * Returns image `index` and its label.
   *
   * @param index The item (negative counts from the end).
   * @returns `[image [C, H, W] float32 in 0..1 (after transform), label]`.
   */
  get(index: number): [Tensor, number] {
    const i = checkIndex(index, this.length, this.constructor.name);
    const px = this.channels * this.height * this.width;
    const out = new Float32Array(px);
    const src = this.images, off = i * px;
    for (let k = 0; k < px; k++) out[k] = BYTE_TO_UNIT[src[off + k]];
    const img = cpuTensor(out, [this.channels, this.height, this.width]);
    return [this.transform ? this.transform(img) : img, this.labels[i]];
  }

  /**
   * Builds a batch in one go (without a transform: one typed-array pass).
   *
   * @param indices Item indices.
   * @returns `[images [B, C, H, W], labels int32 [B]]`.
   */
  batch(indices: readonly number[]): [Tensor, Tensor] {
    const b = indices.length, px = this.channels * this.height * this.width;
    const labels = new Int32Array(b);
    const name = this.constructor.name;
    if (this.transform && b > 0) {
      const imgs = new Array<Tensor>(b);
      for (let k = 0; k < b; k++) {
        const [img, label] = this.get(indices[k]);
        imgs[k] = img;
        labels[k] = label;
      }
      return [stack(imgs, 0), cpuTensor(labels, [b])];
    }
    const out = new Float32Array(b * px);
    const src = this.images;
    for (let k = 0; k < b; k++) {
      const i = checkIndex(indices[k], this.length, name);
      labels[k] = this.labels[i];
      const so = i * px, doff = k * px;
      for (let p = 0; p < px; p++) out[doff + p] = BYTE_TO_UNIT[src[so + p]];
    }
    return [
      cpuTensor(out, [b, this.channels, this.height, this.width]),
      cpuTensor(labels, [b]),
    ];
  }
}
