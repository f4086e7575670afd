/**
 * `@dendrite/examples`: Runnable end-to-end programs, each a deno task (the Fashion-MNIST CNN demo first).
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table.
 *
 * @module
 */
export {};
