/**
 * `@dendrite/examples`: runnable end-to-end programs, each a deno task in the
 * repository's root `deno.json`:
 *
 * - `deno task demo` (`fashion_mnist_cnn.ts`): a CNN on Fashion-MNIST, with a
 *   progress bar, saved weights, charts and a confusion matrix;
 * - `deno task demo:mlp` (`fashion_mnist_mlp.ts`): the MLP baseline on
 *   Fashion-MNIST;
 * - `deno task demo:transformer` (`transformer_reverse.ts`): an
 *   encoder-decoder Transformer learns to reverse digit strings;
 * - `deno task demo:lstm` (`lstm_adding.ts`): an LSTM learns the adding
 *   problem;
 * - `deno task quickstart` (`quickstart.ts`): a two-layer network fits XOR
 *   with autograd and plain gradient descent.
 *
 * The programs are scripts, not library code, so this module exports
 * nothing.
 *
 * @module
 */
export {};
