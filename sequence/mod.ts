/**
 * `@dendrite/sequence`: RNN, LSTM and GRU cells and layers, attention, the Transformer encoder and decoder, and decoding strategies.
 *
 * This package is planned and has no exports yet; it will build on
 * `@dendrite/tensor` and `@dendrite/autograd`. Track progress in the
 * project's issues and the README's feature table. What PyTorch keeps in
 * `torch.nn` is already there: `scaledDotProductAttention` in
 * `@dendrite/tensor`, and `RNN`, `LSTM`, `GRU` (and their cells),
 * `MultiheadAttention` and the Transformer modules (`TransformerEncoderLayer`
 * … `Transformer`) in `@dendrite/layers`.
 *
 * @module
 */
export {};
