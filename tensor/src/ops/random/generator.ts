/**
 * Seeded, counter-based random numbers: Philox4x32-10 (Salmon et al.,
 * "Parallel random numbers: as easy as 1, 2, 3"), so that any backend can
 * produce the same stream from `(seed, offset)`.
 *
 * Streams: 32-bit words come from Philox blocks with key `(seed_lo, seed_hi)`
 * and counter `(offset/4, 0, 0, 0)`; a uniform float in [0, 1) is the top 24
 * bits of one word times 2⁻²⁴; a normal is Box-Muller over two uniforms.
 *
 * @module
 */

const M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

function mulhilo(a: number, b: number): [number, number] {
  // Exact 32x32 -> 64-bit product from 16-bit halves (all partial sums < 2^53).
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const p = al * bl, q = ah * bl + al * bh, r = ah * bh;
  const low = p + (q % 65536) * 65536;
  const hi = (r + Math.floor(q / 65536) + Math.floor(low / 4294967296)) >>> 0;
  return [hi, low >>> 0];
}

/**
 * One Philox4x32-10 block.
 *
 * @param counter Four 32-bit words.
 * @param key Two 32-bit words.
 * @returns Four random 32-bit words.
 * @example
 * ```ts
 * import { philox4x32 } from "@dendrite/tensor";
 * console.assert(philox4x32([0, 0, 0, 0], [0, 0])[0] === 0x6627e8d5);
 * ```
 */
export function philox4x32(counter: readonly number[], key: readonly number[]): number[] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let r = 0; r < 10; r++) {
    const [hi0, lo0] = mulhilo(M0, c0);
    const [hi1, lo1] = mulhilo(M1, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/**
 * A seeded random generator. Its position in the stream is its state, so a
 * checkpoint can resume it exactly.
 *
 * @example
 * ```ts
 * import { Generator, rand } from "@dendrite/tensor";
 * const a = rand([3], { rng: new Generator(7) }).dataSync();
 * const b = rand([3], { rng: new Generator(7) }).dataSync();
 * console.assert(a.join() === b.join());
 * ```
 */
export class Generator {
  #seed: number;
  #seedHi: number;
  #offset = 0;
  #block: number[] = [];

  /**
   * Creates a generator.
   *
   * @param seed A non-negative integer (up to 2⁵³).
   */
  constructor(seed = 0) {
    if (!Number.isInteger(seed) || seed < 0) {
      throw new RangeError(`Cannot seed a Generator with ${seed}: expected a non-negative integer`);
    }
    this.#seed = seed >>> 0;
    this.#seedHi = Math.floor(seed / 4294967296) >>> 0;
  }

  /** The seed. */
  get seed(): number {
    return this.#seedHi * 4294967296 + this.#seed;
  }

  /**
   * The position in the stream (32-bit words consumed) and the seed.
   *
   * @returns The state.
   */
  state(): { seed: number; offset: number } {
    return { seed: this.seed, offset: this.#offset };
  }

  /**
   * Jumps to a state from `state()`.
   *
   * @param s The state.
   */
  setState(s: { seed: number; offset: number }): void {
    this.#seed = s.seed >>> 0;
    this.#seedHi = Math.floor(s.seed / 4294967296) >>> 0;
    this.#offset = s.offset;
    this.#block = [];
  }

  /**
   * Reseeds and rewinds.
   *
   * @param seed The new seed.
   */
  manualSeed(seed: number): void {
    this.setState({ seed, offset: 0 });
  }

  /**
   * The next 32-bit word.
   *
   * @returns An unsigned 32-bit integer.
   */
  nextUint32(): number {
    const i = this.#offset & 3;
    if (i === 0 || this.#block.length === 0) {
      const ctr = Math.floor(this.#offset / 4);
      this.#block = philox4x32([ctr >>> 0, Math.floor(ctr / 4294967296) >>> 0, 0, 0], [
        this.#seed,
        this.#seedHi,
      ]);
    }
    this.#offset++;
    return this.#block[i];
  }

  /**
   * The next uniform float in [0, 1) (24 bits).
   *
   * @returns The value.
   */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /**
   * Fills an array with uniform floats in [0, 1).
   *
   * @param out The array.
   * @returns The same array.
   */
  fillUniform(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.nextFloat();
    return out;
  }

  /**
   * Fills an array with standard normals (Box-Muller, two uniforms per pair).
   *
   * @param out The array.
   * @returns The same array.
   */
  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i += 2) {
      const u1 = 1 - this.nextFloat(), u2 = this.nextFloat();
      const r = Math.sqrt(-2 * Math.log(u1)), t = 2 * Math.PI * u2;
      out[i] = r * Math.cos(t);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
    }
    return out;
  }
}

const defaultGenerator = new Generator(0);

/**
 * Seeds the default generator used when no `rng` is passed.
 *
 * @param seed A non-negative integer.
 * @example
 * ```ts
 * import { manualSeed, randn } from "@dendrite/tensor";
 * manualSeed(1);
 * const a = randn([2]).dataSync();
 * manualSeed(1);
 * console.assert(randn([2]).dataSync().join() === a.join());
 * ```
 */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}

/**
 * The generator used when no `rng` is passed.
 *
 * @returns The default generator.
 * @example
 * ```ts
 * import { getDefaultGenerator } from "@dendrite/tensor";
 * console.assert(getDefaultGenerator().state().offset >= 0);
 * ```
 */
export function getDefaultGenerator(): Generator {
  return defaultGenerator;
}
