/**
 * `@dendrite/distill`: Knowledge distillation: teacher/student training with temperature, soft and hard targets.
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table.
 *
 * @module
 */
export {};
