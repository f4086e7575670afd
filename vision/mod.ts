/**
 * `@dendrite/vision`: Classic CNNs (LeNet to MobileNet), image filters, detection and segmentation heads, and visualisation (saliency, FGSM, DeepDream, style transfer).
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table.
 *
 * @module
 */
export {};
