/**
 * Single-precision GEMM on the CPU: `C = op(A) · op(B)` (C overwritten).
 * The pure TypeScript path is a cache-blocked loop; see `blas.ts` for the
 * native path.
 *
 * @module
 */

/**
 * Computes `C[m×n] = op(A)[m×k] · op(B)[k×n]` into row-major `C` with leading
 * dimension `ldc`. `op(X)` is `X` or its transpose; `A` and `B` are
 * row-major with leading dimensions `lda`, `ldb` and element offsets.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
  // Reference path: i-k-j order over row-major B for unit-stride inner loops.
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * ldc;
    for (let j = 0; j < n; j++) c[ci + j] = 0;
    for (let p = 0; p < k; p++) {
      const av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
      if (av === 0) continue;
      if (!transB) {
        const bp = bOff + p * ldb;
        for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
      } else {
        for (let j = 0; j < n; j++) c[ci + j] += av * b[bOff + j * ldb + p];
      }
    }
  }
}
