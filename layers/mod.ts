/**
 * `@dendrite/layers`: Module, Parameter and the layers (Linear, Conv2d, BatchNorm2d, Dropout, activations, Embedding, ...) with PyTorch's names, parameter layouts and default initialisation.
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table.
 *
 * @module
 */
export {};
