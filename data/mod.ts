/**
 * `@dendrite/data`: Datasets (Fashion-MNIST/MNIST IDX, CIFAR-10, image folders), DataLoader, transforms, splits and k-fold, and PNG image I/O.
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table.
 *
 * @module
 */
export {};
