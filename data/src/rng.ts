/**
 * A small seeded random generator for data pipelines: shuffling, splits and
 * random transforms.
 *
 * The stream is a 32-bit counter advanced by the golden-ratio increment and
 * passed through the MurmurHash3 finaliser (the "splitmix32" construction):
 * fast, statistically sound for shuffling and augmentation, and identical on
 * every platform. It is independent of the tensor package's `Generator`.
 *
 * @module
 */

const GOLDEN = 0x9e3779b9;
const TWO32 = 4294967296;

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function checkSeed(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot seed an Rng with ${what} ${value}: expected a non-negative integer below 2^53`,
    );
  }
}

/**
 * A seeded pseudo-random generator (splitmix32). The same seed and stream
 * give the same numbers on every platform.
 *
 * `new Rng(seed, stream)` starts an independent stream per `stream` value:
 * the DataLoader shuffles epoch `e` with `new Rng(seed, e)`, k-fold repeat
 * `r` uses `new Rng(seed, r)`.
 *
 * @example
 * ```ts
 * import { Rng } from "@dendrite/data";
 * const a = new Rng(42), b = new Rng(42);
 * console.assert(a.random() === b.random());
 * console.assert(new Rng(1).permutation(5).sort().join() === "0,1,2,3,4");
 * ```
 */
export class Rng {
  #state: number;

  /**
   * Creates a generator.
   *
   * @param seed A non-negative integer below 2^53.
   * @param stream An optional non-negative integer selecting an independent stream (default 0).
   */
  constructor(seed: number, stream = 0) {
    checkSeed(seed, "seed");
    checkSeed(stream, "stream");
    const lo = seed >>> 0, hi = Math.floor(seed / TWO32) >>> 0;
    const slo = stream >>> 0, shi = Math.floor(stream / TWO32) >>> 0;
    let h = fmix32(lo ^ 0x6a09e667);
    h = fmix32((h + hi + GOLDEN) >>> 0);
    h = fmix32((h ^ slo) + 0x3c6ef372 >>> 0);
    this.#state = fmix32((h + shi + GOLDEN) >>> 0);
  }

  /**
   * Draws the next 32-bit unsigned integer.
   *
   * @returns An integer in [0, 2^32).
   * @example
   * ```ts
   * import { Rng } from "@dendrite/data";
   * const u = new Rng(0).nextUint32();
   * console.assert(Number.isInteger(u) && u >= 0 && u < 2 ** 32);
   * ```
   */
  nextUint32(): number {
    this.#state = (this.#state + GOLDEN) >>> 0;
    return fmix32(this.#state);
  }

  /**
   * Draws a uniform float in [0, 1) (53 random bits).
   *
   * @returns A number in [0, 1).
   * @example
   * ```ts
   * import { Rng } from "@dendrite/data";
   * const u = new Rng(3).random();
   * console.assert(u >= 0 && u < 1);
   * ```
   */
  random(): number {
    const hi = this.nextUint32() >>> 5, lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Draws a uniform float in [low, high).
   *
   * @param low Lower bound.
   * @param high Upper bound.
   * @returns A number in [low, high) (exactly `low` when the bounds are equal).
   * @example
   * ```ts
   * import { Rng } from "@dendrite/data";
   * const u = new Rng(3).uniform(2, 4);
   * console.assert(u >= 2 && u < 4);
   * ```
   */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /**
   * Draws a uniform integer in [low, high) without bias.
   *
   * @param low Smallest value.
   * @param high One past the largest value (must exceed `low`; range below 2^32).
   * @returns An integer in [low, high).
   * @example
   * ```ts
   * import { Rng } from "@dendrite/data";
   * const k = new Rng(5).int(0, 10);
   * console.assert(Number.isInteger(k) && k >= 0 && k < 10);
   * ```
   */
  int(low: number, high: number): number {
    const range = high - low;
    if (!Number.isInteger(low) || !Number.isInteger(high) || range <= 0 || range > TWO32) {
      throw new RangeError(
        `Cannot draw Rng.int(${low}, ${high}): expected integers with low < high and high - low <= 2^32`,
      );
    }
    // Rejection sampling: accept draws below the largest multiple of `range`.
    const limit = TWO32 - (TWO32 % range);
    let u = this.nextUint32();
    while (u >= limit) u = this.nextUint32();
    return low + (u % range);
  }

  /**
   * Draws from a normal distribution (Box-Muller).
   *
   * @param mean The mean (default 0).
   * @param std The standard deviation (default 1).
   * @returns A normally distributed number.
   * @example
   * ```ts
   * import { Rng } from "@dendrite/data";
   * console.assert(Number.isFinite(new Rng(1).normal()));
   * ```
   */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.random(), v = this.random();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * Draws true with probability `p`.
   *
   * @param p The probability of true.
   * @returns A boolean.
   * @example
   * ```ts
   * import { Rng } from "@dendrite/data";
   * console.assert(new Rng(1).bernoulli(1) === true && new Rng(1).bernoulli(0) === false);
   * ```
   */
  bernoulli(p: number): boolean {
    return this.random() < p;
  }

  /**
   * Shuffles an array in place (Fisher-Yates).
   *
   * @param array The array to shuffle.
   * @returns The same array.
   * @example
   * ```ts
   * import { Rng } from "@dendrite/data";
   * const a = new Rng(9).shuffle([1, 2, 3, 4]);
   * console.assert(a.slice().sort().join() === "1,2,3,4");
   * ```
   */
  shuffle<A extends { length: number; [i: number]: unknown }>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
    return array;
  }

  /**
   * Returns a random permutation of `0..n-1`.
   *
   * @param n The number of elements.
   * @returns The permuted indices.
   * @example
   * ```ts
   * import { Rng } from "@dendrite/data";
   * const p = new Rng(2).permutation(4);
   * console.assert(p.length === 4 && [...p].sort().join() === "0,1,2,3");
   * ```
   */
  permutation(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`Cannot draw Rng.permutation(${n}): expected a non-negative integer`);
    }
    const p = new Array<number>(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /**
   * Returns a new generator seeded from this one's next draws (this one advances).
   *
   * @returns An independent generator.
   * @example
   * ```ts
   * import { Rng } from "@dendrite/data";
   * const child = new Rng(1).fork();
   * console.assert(child.random() === new Rng(1).fork().random());
   * ```
   */
  fork(): Rng {
    const hi = this.nextUint32() & 0x1fffff;
    return new Rng(hi * TWO32 + this.nextUint32());
  }
}

/**
 * Draws a fresh seed from the operating system's entropy (for loaders and
 * transforms created without one).
 *
 * @returns A non-negative integer below 2^53.
 * @example
 * ```ts
 * import { randomSeed } from "@dendrite/data";
 * console.assert(Number.isSafeInteger(randomSeed()));
 * ```
 */
export function randomSeed(): number {
  const w = crypto.getRandomValues(new Uint32Array(2));
  return (w[0] & 0x1fffff) * TWO32 + w[1];
}

/** How a random operation gets its numbers: a generator, or a seed to make one. */
export interface RngOptions {
  /** The generator to draw from (takes precedence over `seed`). */
  rng?: Rng;
  /** A seed for a new generator (default: a fresh random seed). */
  seed?: number;
}

/**
 * Resolves `{ rng, seed }` options to a generator.
 *
 * @param options `rng` or `seed`.
 * @returns `options.rng`, or a new `Rng(seed)` (a random seed when absent).
 * @example
 * ```ts
 * import { resolveRng } from "@dendrite/data";
 * console.assert(resolveRng({ seed: 4 }).random() === resolveRng({ seed: 4 }).random());
 * ```
 */
export function resolveRng(options: RngOptions = {}): Rng {
  return options.rng ?? new Rng(options.seed ?? randomSeed());
}
