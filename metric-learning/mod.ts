/**
 * `@dendrite/metric-learning`: Siamese and pseudo-Siamese networks, distances, contrastive and triplet losses, and pair/triplet miners.
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table.
 *
 * @module
 */
export {};
