/**
 * `@dendrite/losses`: Loss functions (MSE to triplet margin) in functional and class forms, and metrics (accuracy, top-k, confusion matrix, precision/recall/F1).
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table.
 *
 * @module
 */
export {};
