/**
 * `ImageFolder`: a dataset of PNG files laid out as `root/<class>/<image>.png`.
 *
 * @module
 */
import type { Tensor } from "@dendrite/tensor";
import { checkIndex, type Dataset } from "./dataset.ts";
import { readPng } from "./png.ts";
import type { Transform } from "./transforms.ts";

/** Options for `ImageFolder.load`. */
export interface ImageFolderOptions {
  /** Applied to each image tensor `[C, H, W]` (float32 in 0..1). */
  transform?: Transform;
  /** File extensions accepted, lower case (default [".png"]). */
  extensions?: readonly string[];
}

/**
 * Images in one sub-folder per class, like `torchvision.datasets.ImageFolder`:
 * classes are the sub-folder names sorted, their index the label; files are
 * sorted within each class. Images are decoded on access by `get(i)`:
 * `[image [C, H, W] float32 in 0..1 (after transform), label]`, with C = 1
 * for grayscale and 3 for colour (alpha dropped).
 *
 * @example
 * ```ts
 * import { ImageFolder, writePng } from "@dendrite/data";
 * import { ones, zeros } from "@dendrite/tensor";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/cat`);
 * await Deno.mkdir(`${root}/dog`);
 * await writePng(`${root}/cat/a.png`, zeros([3, 4, 4]));
 * await writePng(`${root}/dog/b.png`, ones([3, 4, 4]));
 * const ds = await ImageFolder.load(root);
 * const [img, label] = ds.get(1);
 * console.assert(ds.classes.join() === "cat,dog" && label === 1 && img.dataSync()[0] === 1);
 * ```
 */
export class ImageFolder implements Dataset<[Tensor, number]> {
  /** The root folder. */
  readonly root: string;
  /** Class names (sorted sub-folder names). */
  readonly classes: readonly string[];
  /** Class index by name. */
  readonly classToIndex: Readonly<Record<string, number>>;
  /** `[path, label]` per image, in order. */
  readonly samples: readonly (readonly [string, number])[];
  /** Applied to each image tensor. */
  readonly transform: Transform | undefined;

  private constructor(
    root: string,
    classes: string[],
    samples: [string, number][],
    transform: Transform | undefined,
  ) {
    this.root = root;
    this.classes = classes;
    this.classToIndex = Object.fromEntries(classes.map((c, i) => [c, i]));
    this.samples = samples;
    this.transform = transform;
  }

  /**
   * Scans `root` for class folders and their images.
   *
   * @param root The folder holding one sub-folder per class.
   * @param options `transform`, `extensions`.
   * @returns The dataset.
   * @example
   * ```ts
   * import { ImageFolder } from "@dendrite/data";
   * const empty = await Deno.makeTempDir();
   * try {
   *   await ImageFolder.load(empty);
   * } catch (e) {
   *   console.assert((e as Error).message.includes("no class folders"));
   * }
   * ```
   */
  static async load(root: string, options: ImageFolderOptions = {}): Promise<ImageFolder> {
    const exts = (options.extensions ?? [".png"]).map((e) => e.toLowerCase());
    const classes: string[] = [];
    try {
      for await (const e of Deno.readDir(root)) {
        if (e.isDirectory && !e.name.startsWith(".")) classes.push(e.name);
      }
    } catch (e) {
      throw new Error(`Cannot load ImageFolder ${root}: ${(e as Error).message}`);
    }
    classes.sort();
    if (classes.length === 0) {
      throw new Error(
        `Cannot load ImageFolder ${root}: it has no class folders (expected ${root}/<class>/<image>.png)`,
      );
    }
    const samples: [string, number][] = [];
    for (let label = 0; label < classes.length; label++) {
      const dir = `${root}/${classes[label]}`;
      const files: string[] = [];
      for await (const e of Deno.readDir(dir)) {
        const lower = e.name.toLowerCase();
        if (e.isFile && exts.some((x) => lower.endsWith(x))) files.push(e.name);
      }
      files.sort();
      for (const f of files) samples.push([`${dir}/${f}`, label]);
    }
    if (samples.length === 0) {
      throw new Error(
        `Cannot load ImageFolder ${root}: its class folders (${classes.join(", ")}) hold no ${
          exts.join("/")
        } files`,
      );
    }
    return new ImageFolder(root, classes, samples, options.transform);
  }

  /** The number of images. */
  get length(): number {
    return this.samples.length;
  }

  /**
   * Reads and decodes image `index`.
   *
   * @param index The item (negative counts from the end).
   * @returns `[image [C, H, W] (after transform), label]`.
   */
  get(index: number): [Tensor, number] {
    const [path, label] = this.samples[checkIndex(index, this.length, "ImageFolder")];
    const img = readPng(path);
    return [this.transform ? this.transform(img) : img, label];
  }
}
