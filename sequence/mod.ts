/**
 * `@dendrite/sequence`: RNN, LSTM and GRU cells and layers, attention, the Transformer encoder and decoder, and decoding strategies.
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table. The attention that
 * PyTorch keeps in `torch.nn` is already there: `scaledDotProductAttention`
 * in `@dendrite/tensor` and `MultiheadAttention` in `@dendrite/layers`.
 *
 * @module
 */
export {};
