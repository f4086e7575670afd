/**
 * The backward engine: a reverse sweep over the recorded graph in creation
 * order, with gradient accumulation, hooks, `retainGraph` and `createGraph`.
 *
 * @module
 */
import {
  add,
  fmtShape,
  type Node,
  onesLike,
  setGradEnabled,
  setGradEngine,
  ShapeError,
  shapesEqual,
  Tensor,
} from "@dendrite/tensor";

/** Options of the backward sweep. */
export interface GradOptions {
  /** Keep the graph for another backward (default: false, unless `createGraph`). */
  retainGraph?: boolean;
  /** Record the backward ops so that the gradients are differentiable. */
  createGraph?: boolean;
}

function collectNodes(roots: Tensor[]): Node[] {
  const seen = new Set<Node>();
  const stack: Node[] = [];
  for (const r of roots) if (r.gradFn) stack.push(r.gradFn);
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const t of n.inputs) if (t.gradFn && !seen.has(t.gradFn)) stack.push(t.gradFn);
  }
  // Creation order is a topological order: every input node was created before its users.
  return [...seen].sort((a, b) => b.seq - a.seq);
}

function accumulate(prev: Tensor | undefined, g: Tensor): Tensor {
  return prev === undefined ? g : add(prev, g);
}

function applyHooks(hooks: readonly ((g: Tensor) => Tensor | void)[], g: Tensor): Tensor {
  for (const h of hooks) {
    const r = h(g);
    if (r instanceof Tensor) g = r;
  }
  return g;
}

/**
 * Runs the reverse sweep from `roots` seeded with `seeds`; returns the total
 * gradient of each leaf reached (after leaf hooks).
 */
function sweep(
  roots: Tensor[],
  seeds: Tensor[],
  options: GradOptions,
  wanted?: Set<Tensor>,
): Map<Tensor, Tensor> {
  const createGraph = options.createGraph ?? false;
  const retain = options.retainGraph ?? createGraph;
  const nodes = collectNodes(roots);
  const grads = new Map<Node, Tensor>();
  const leafGrads = new Map<Tensor, Tensor>();
  const wantedNodes = new Map<Node, Tensor>();
  if (wanted) { for (const t of wanted) if (t.gradFn) wantedNodes.set(t.gradFn, t); }
  const prev = setGradEnabled(createGraph);
  try {
    roots.forEach((r, i) => {
      const g = seeds[i];
      if (r.gradFn) grads.set(r.gradFn, accumulate(grads.get(r.gradFn), g));
      else leafGrads.set(r, accumulate(leafGrads.get(r), g));
    });
    for (const node of nodes) {
      let g = grads.get(node);
      if (g === undefined) continue;
      grads.delete(node);
      g = applyHooks(node.hooks, g);
      const kept = node.retained?.deref();
      if (kept) kept.grad = kept.grad ? add(kept.grad, g) : g;
      const w = wantedNodes.get(node);
      if (w) leafGrads.set(w, accumulate(leafGrads.get(w), g));
      if (node.vjp === null) {
        throw new Error(
          `Cannot backward through ${node.name} a second time: its saved values were released after the first backward(); pass { retainGraph: true } to the first call`,
        );
      }
      const inGrads = node.vjp(g);
      node.inputs.forEach((inp, i) => {
        const gi = inGrads[i];
        if (!gi || !inp.requiresGrad) return;
        if (!shapesEqual(gi.shape, inp.shape)) {
          throw new ShapeError(
            `Gradient of ${node.name} for input ${i} has shape ${fmtShape(gi.shape)}: expected ${
              fmtShape(inp.shape)
            }`,
          );
        }
        if (inp.gradFn) grads.set(inp.gradFn, accumulate(grads.get(inp.gradFn), gi));
        else leafGrads.set(inp, accumulate(leafGrads.get(inp), gi));
      });
      if (!retain) {
        node.vjp = null;
        node.inputs = [];
      }
    }
    for (const [leaf, g] of leafGrads) {
      if (!leaf.gradFn) leafGrads.set(leaf, applyHooks(leaf.leafHooks, g));
    }
  } finally {
    setGradEnabled(prev);
  }
  return leafGrads;
}

function seedFor(root: Tensor, grad: Tensor | undefined, op: string): Tensor {
  if (!root.requiresGrad) {
    throw new Error(
      `Cannot run ${op}: the tensor (shape ${
        fmtShape(root.shape)
      }) does not require grad and has no gradient function`,
    );
  }
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new ShapeError(
        `Cannot run ${op} from a tensor of shape ${
          fmtShape(root.shape)
        } without an upstream gradient: pass one of the same shape, or reduce to a scalar first`,
      );
    }
    return onesLike(root);
  }
  if (!shapesEqual(grad.shape, root.shape)) {
    throw new ShapeError(
      `Cannot run ${op} with an upstream gradient of shape ${fmtShape(grad.shape)}: expected ${
        fmtShape(root.shape)
      }`,
    );
  }
  return grad;
}

/**
 * Runs backward from `root`, accumulating into `.grad` of every leaf reached.
 * Same as `root.backward(grad, options)`.
 *
 * @param root The output to differentiate.
 * @param grad Upstream gradient (required unless `root` has one element).
 * @param options `retainGraph`, `createGraph`.
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { backward } from "@dendrite/autograd";
 * const x = tensor([3], { requiresGrad: true });
 * backward(x.mul(x).sum());
 * console.assert(x.grad!.dataSync()[0] === 6);
 * ```
 */
export function backward(root: Tensor, grad?: Tensor, options: GradOptions = {}): void {
  const seed = seedFor(root, grad, "backward()");
  const leafGrads = sweep([root], [seed], options);
  const prev = setGradEnabled(options.createGraph ?? false);
  try {
    for (const [leaf, g] of leafGrads) {
      if (leaf.gradFn) continue;
      leaf.grad = leaf.grad ? add(leaf.grad, g) : g;
    }
  } finally {
    setGradEnabled(prev);
  }
}

/**
 * Computes gradients of `outputs` with respect to `inputs` without touching
 * `.grad` (like `torch.autograd.grad`).
 *
 * @param outputs Tensors to differentiate (one or many).
 * @param inputs Tensors to differentiate with respect to.
 * @param options `gradOutputs` (upstream gradients), `retainGraph`, `createGraph`, `allowUnused`.
 * @returns One gradient per input (zeros for unused inputs when `allowUnused` is false... it throws instead).
 * @example
 * ```ts
 * import { tensor } from "@dendrite/tensor";
 * import { gradients } from "@dendrite/autograd";
 * const x = tensor([2], { requiresGrad: true });
 * const [g] = gradients(x.pow(3).sum(), [x], { createGraph: true });
 * const [gg] = gradients(g.sum(), [x]);
 * console.assert(g.dataSync()[0] === 12 && gg.dataSync()[0] === 12);
 * ```
 */
export function gradients(
  outputs: Tensor | Tensor[],
  inputs: Tensor[],
  options: GradOptions & { gradOutputs?: Tensor[]; allowUnused?: boolean } = {},
): Tensor[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const seeds = outs.map((o, i) => seedFor(o, options.gradOutputs?.[i], "gradients()"));
  const want = new Set(inputs);
  const g = sweep(outs, seeds, options, want);
  return inputs.map((t, i) => {
    const v = g.get(t);
    if (v) return v;
    if (!options.allowUnused) {
      throw new Error(
        `Cannot compute gradients(): input ${i} (shape ${
          fmtShape(t.shape)
        }) is not used by the outputs; pass { allowUnused: true } to get zeros`,
      );
    }
    return onesLike(t).mul(0);
  });
}

setGradEngine({
  backward: (root, grad, options) => backward(root, grad, options),
});
