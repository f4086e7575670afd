/**
 * `@dendrite/data`: datasets, loading, transforms and image I/O, with
 * PyTorch / torchvision semantics.
 *
 * ```ts
 * import { compose, DataLoader, FashionMNIST, normalize, randomHorizontalFlip } from "@dendrite/data";
 *
 * const train = await FashionMNIST.load({
 *   train: false, // the 10,000 test images keep this example quick
 *   download: false,
 *   transform: compose([randomHorizontalFlip(0.5, { seed: 0 }), normalize([0.286], [0.353])]),
 * });
 * const loader = new DataLoader(train, { batchSize: 256, shuffle: true, seed: 42 });
 * for await (const [x, y] of loader) {
 *   // x: [256, 1, 28, 28] float32, y: [256] int32
 *   console.assert(x.shape[1] === 1 && y.dtype === "int32");
 *   break;
 * }
 * ```
 *
 * - Datasets: `Dataset`, `TensorDataset`, `Subset`, `ConcatDataset`, `MNIST`,
 *   `FashionMNIST`, `CIFAR10`, `ImageFolder`; readers `readIdx`, `readCifar10Batch`.
 * - Loading: `DataLoader` (seeded per-epoch shuffling, prefetch), `defaultCollate`.
 * - Transforms: `compose`, `toTensor`, `normalize`, `resize`, random flips,
 *   crops, rotation, colour jitter and erasing; `fitPca` / `fitZca`.
 * - Splits: `randomSplit`, `stratifiedSplit`, `kFold`.
 * - Images: `readPng`, `writePng`, `encodePng`, `makeGrid`.
 * - Randomness: `Rng`, a small seeded generator.
 *
 * @module
 */
export * from "./src/rng.ts";
export * from "./src/collate.ts";
export * from "./src/dataset.ts";
export * from "./src/loader.ts";
export * from "./src/idx.ts";
export * from "./src/locate.ts";
export * from "./src/byte_images.ts";
export * from "./src/mnist.ts";
export * from "./src/cifar.ts";
export * from "./src/png.ts";
export * from "./src/grid.ts";
export * from "./src/image_folder.ts";
export * from "./src/transforms.ts";
export * from "./src/geometry.ts";
export * from "./src/color.ts";
export * from "./src/augment.ts";
export * from "./src/whiten.ts";
export * from "./src/splits.ts";
