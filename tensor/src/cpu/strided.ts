/**
 * Strided iteration for the CPU backend: dimension coalescing and a row
 * walker that calls a tight inner loop once per innermost row.
 *
 * @module
 */

/** A coalesced iteration space over several operands. */
export interface Walk {
  /** Sizes per (coalesced) axis; the last is the inner row length. */
  shape: number[];
  /** Per operand, strides per coalesced axis. */
  strides: number[][];
}

/**
 * Merges adjacent axes that every operand walks contiguously and drops
 * size-1 axes, so that most walks become one long row.
 *
 * @param shape The iteration shape.
 * @param strides Per operand, its strides over `shape`.
 * @returns The coalesced walk (at least one axis).
 */
export function coalesce(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): Walk {
  const k = strides.length;
  const outShape: number[] = [];
  const outStrides: number[][] = Array.from({ length: k }, () => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    if (merge) {
      for (let j = 0; j < k; j++) {
        if (outStrides[j][last] !== strides[j][d] * shape[d]) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      outShape[last] *= shape[d];
      for (let j = 0; j < k; j++) outStrides[j][last] = strides[j][d];
    } else {
      outShape.push(shape[d]);
      for (let j = 0; j < k; j++) outStrides[j].push(strides[j][d]);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (let j = 0; j < k; j++) outStrides[j].push(0);
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * Calls `row(offsets, n)` for every innermost row of a coalesced walk, with
 * each operand's element offset at the start of the row.
 *
 * @param walk The coalesced walk.
 * @param base Per operand, its starting offset.
 * @param row The row callback; `offsets` is reused between calls.
 */
export function walkRows(
  walk: Walk,
  base: readonly number[],
  row: (offsets: number[], n: number) => void,
): void {
  const { shape, strides } = walk;
  const nd = shape.length;
  const k = strides.length;
  const inner = shape[nd - 1];
  const offs = [...base];
  let rows = 1;
  for (let d = 0; d < nd - 1; d++) rows *= shape[d];
  if (rows === 0 || inner === 0) return;
  const idx = new Array<number>(nd).fill(0);
  for (let r = 0; r < rows; r++) {
    row(offs, inner);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      if (idx[d] < shape[d]) {
        for (let j = 0; j < k; j++) offs[j] += strides[j][d];
        break;
      }
      idx[d] = 0;
      for (let j = 0; j < k; j++) offs[j] -= strides[j][d] * (shape[d] - 1);
    }
  }
}

/**
 * Strides of `shape` when broadcast to `outShape` (0 on broadcast axes).
 *
 * @param shape Input shape.
 * @param strides Input strides.
 * @param outShape The broadcast shape.
 * @returns Strides aligned to `outShape`.
 */
export function broadcastStrides(
  shape: readonly number[],
  strides: readonly number[],
  outShape: readonly number[],
): number[] {
  const n = outShape.length;
  const out = new Array<number>(n).fill(0);
  const lead = n - shape.length;
  for (let i = 0; i < shape.length; i++) {
    out[lead + i] = shape[i] === 1 ? 0 : strides[i];
  }
  return out;
}
