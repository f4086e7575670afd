/**
 * `@dendrite/generative`: Autoencoders, the VAE, the GAN family (DCGAN to CycleGAN) and PixelCNN.
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table.
 *
 * @module
 */
export {};
