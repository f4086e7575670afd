/**
 * `@dendrite/optimizers`: SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Adamax, NAdam and RAdam with parameter groups, learning-rate schedules and gradient clipping.
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table.
 *
 * @module
 */
export {};
