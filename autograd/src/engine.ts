/**
 * The backward engine: a reverse sweep over the recorded graph in creation
 * order, with gradient accumulation, hooks, `retainGraph` and `createGraph`.
 *
 * @module
 */
import {
  add,
  cat,
  DTypeError,
  fmtShape,
  type GradHook,
  type Node,
  onesLike,
  setGradEnabled,
  setGradEngine,
  ShapeError,
  shapesEqual,
  Tensor,
  unsqueeze,
  zeros,
  zerosLike,
} from "@dendrite/tensor";

/** Options of the backward sweep. */
export interface GradOptions {
  /** Keep the graph for another backward (default: false, unless `createGraph`). */
  retainGraph?: boolean;
  /** Record the backward ops so that the gradients are differentiable. */
  createGraph?: boolean;
}

/** Options of {@link gradients}: those of the sweep plus upstream gradients and unused inputs. */
export interface GradientsOptions extends GradOptions {
  /** One upstream gradient per output (default: ones for one-element outputs). */
  gradOutputs?: Tensor[];
  /** Return zeros for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

/** Every node reachable from `roots`, latest first (a reverse topological order). */
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

function applyHooks(hooks: readonly GradHook[], g: Tensor, op: string): Tensor {
  if (hooks.length === 0) return g;
  // Copy: a hook may remove itself while running.
  for (const h of [...hooks]) {
    const r = h(g);
    if (r instanceof Tensor) {
      if (!shapesEqual(r.shape, g.shape)) {
        throw new ShapeError(
          `Cannot use a gradient hook's result in ${op}: it returned shape ${
            fmtShape(r.shape)
          }, expected the gradient's shape ${fmtShape(g.shape)}`,
        );
      }
      g = r;
    }
  }
  return g;
}

/**
 * Which gradient tensors the sweep may dispose: those it created itself
 * (newer than a fence taken at its start, so no tensor of the forward pass or
 * of the caller, such as an upstream gradient, ever is), counted by the
 * places that hold them, and never one that escaped to user code (hooks,
 * retained and wanted gradients; leaf gradients are returned). With
 * `createGraph` the gradients belong to a new graph and nothing is disposed.
 */
class Ownership {
  #fence: number;
  #holds = new Map<Tensor, number>();
  #escaped = new Set<Tensor>();
  #off: boolean;

  constructor(off: boolean) {
    this.#off = off;
    const t = zeros([0]);
    this.#fence = t.id;
    t.dispose();
  }

  hold(t: Tensor): void {
    this.#holds.set(t, (this.#holds.get(t) ?? 0) + 1);
  }

  escape(t: Tensor): void {
    this.#escaped.add(t);
  }

  /** One holder fewer; disposes `t` when none is left. */
  drop(t: Tensor): void {
    const n = (this.#holds.get(t) ?? 1) - 1;
    if (n > 0) this.#holds.set(t, n);
    else {
      this.#holds.delete(t);
      this.release(t);
    }
  }

  /** Disposes `t` if nothing holds it and the sweep owns it. */
  release(t: Tensor): void {
    if (this.#off || t.id <= this.#fence || this.#holds.has(t) || this.#escaped.has(t)) return;
    t.dispose();
  }
}

/** A slice's gradient held back: the slice's node (which knows where it sits) and `dy`. */
interface Piece {
  node: Node;
  dy: Tensor;
}

/**
 * The total gradient of a tensor from the gradients of several of its
 * slices. When they are disjoint ranges of one axis (the pieces of `split`
 * or `chunk`, the steps of a sequence taken one by one) it is one `cat` of
 * them and of zeros for the gaps, instead of one dense input-sized gradient
 * per slice added up (which is quadratic in the number of pieces); other
 * layouts take the slices' own rules and a sum.
 */
function gatherSlices(parts: Piece[]): Tensor {
  const dense = () => parts.map((p) => p.node.vjp!(p.dy)[0]!);
  if (parts.length === 1) return dense()[0];
  const shape = parts[0].node.placement!.shape;
  let axis = -1, ok = true;
  for (const { node } of parts) {
    const pl = node.placement!;
    for (let d = 0; d < shape.length && ok; d++) {
      const whole = pl.starts[d] === 0 && pl.lens[d] === shape[d] && pl.steps[d] === 1 &&
        pl.keep[d];
      if (whole) continue;
      if (axis === -1) axis = d;
      if (
        axis !== d || (pl.steps[d] !== 1 && pl.lens[d] > 1) || (!pl.keep[d] && pl.lens[d] !== 1)
      ) {
        ok = false;
      }
    }
  }
  if (ok && axis >= 0) {
    const sorted = [...parts].sort((p, q) =>
      p.node.placement!.starts[axis] - q.node.placement!.starts[axis]
    );
    const pieces: Tensor[] = [];
    const { dtype } = parts[0].dy, backend = parts[0].dy.backend.name;
    const gap = (len: number) =>
      zeros(shape.map((n, d) => (d === axis ? len : n)), { dtype, backend });
    let at = 0;
    for (const { node, dy } of sorted) {
      const pl = node.placement!;
      const start = pl.lens[axis] > 0 ? pl.starts[axis] : at;
      if (start < at) {
        ok = false;
        break;
      }
      if (start > at) pieces.push(gap(start - at));
      pieces.push(pl.keep[axis] ? dy : unsqueeze(dy, axis));
      at = start + pl.lens[axis];
    }
    if (ok) {
      if (at < shape[axis]) pieces.push(gap(shape[axis] - at));
      return cat(pieces, axis);
    }
  }
  return dense().reduce((a, b) => add(a, b));
}

interface SweepMode {
  /** The op name for messages. */
  op: string;
  /** Non-leaf tensors whose gradient is wanted (gradients()). */
  wanted?: Set<Tensor>;
  /** Whether `retainGrad()` tensors receive `.grad` (backward() only, as in PyTorch). */
  fillRetained: boolean;
}

/**
 * Runs the reverse sweep from `roots` seeded with `seeds`; returns the total
 * gradient of each leaf reached (after leaf hooks) and of each wanted tensor.
 */
function sweep(
  roots: Tensor[],
  seeds: Tensor[],
  options: GradOptions,
  mode: SweepMode,
): Map<Tensor, Tensor> {
  const createGraph = options.createGraph ?? false;
  const retain = options.retainGraph ?? createGraph;
  const nodes = collectNodes(roots);
  const grads = new Map<Node, Tensor>();
  const leafGrads = new Map<Tensor, Tensor>();
  const wantedNodes = new Map<Node, Tensor>();
  if (mode.wanted) { for (const t of mode.wanted) if (t.gradFn) wantedNodes.set(t.gradFn, t); }
  const own = new Ownership(createGraph);
  const put = <K>(map: Map<K, Tensor>, key: K, g: Tensor) => {
    const prev = map.get(key);
    const next = prev === undefined ? g : add(prev, g);
    map.set(key, next);
    own.hold(next);
    if (prev !== undefined) own.drop(prev);
  };
  // Gradients of slices, gathered per sliced tensor (its node, or the leaf)
  // until that tensor's turn (see gatherSlices).
  const pending = new Map<Node | Tensor, Piece[]>();
  const flush = (key: Node | Tensor) => {
    const parts = pending.get(key);
    if (!parts) return;
    pending.delete(key);
    const g = gatherSlices(parts);
    if (key instanceof Tensor) put(leafGrads, key, g);
    else put(grads, key, g);
    for (const p of parts) {
      own.drop(p.dy);
      if (!retain) {
        p.node.vjp = null;
        p.node.inputs = [];
      }
    }
  };
  const prev = setGradEnabled(createGraph);
  try {
    roots.forEach((r, i) => {
      const g = seeds[i];
      if (r.gradFn) put(grads, r.gradFn, g);
      else put(leafGrads, r, g);
    });
    for (const node of nodes) {
      flush(node);
      const g0 = grads.get(node);
      if (g0 === undefined) continue;
      grads.delete(node);
      if (node.hooks.length) own.escape(g0);
      const g = applyHooks(node.hooks, g0, mode.op);
      if (node.hooks.length) own.escape(g);
      if (mode.fillRetained) {
        const kept = node.retained?.deref();
        if (kept) {
          own.escape(g);
          kept.grad = kept.grad ? add(kept.grad, g) : g;
        }
      }
      const w = wantedNodes.get(node);
      if (w) {
        own.escape(g);
        put(leafGrads, w, g);
      }
      if (node.vjp === null) {
        throw new Error(
          `Cannot backward through ${node.name} a second time: its saved values were released after the first backward(); pass { retainGraph: true } to the first call`,
        );
      }
      const sliced = node.inputs[0];
      if (node.placement && !createGraph && sliced.requiresGrad) {
        // Held back, to be gathered with the other slices of the same tensor.
        const key = sliced.gradFn ?? sliced;
        own.hold(g);
        const list = pending.get(key);
        if (list) list.push({ node, dy: g });
        else pending.set(key, [{ node, dy: g }]);
        own.drop(g0);
        continue;
      }
      const inGrads = node.vjp(g);
      const inputs = node.inputs;
      for (let i = 0; i < inputs.length; i++) {
        const inp = inputs[i], gi = inGrads[i];
        if (!gi || !inp.requiresGrad) continue;
        if (!shapesEqual(gi.shape, inp.shape)) {
          throw new ShapeError(
            `Cannot backward through ${node.name}: its gradient for input ${i} has shape ${
              fmtShape(gi.shape)
            }, expected ${fmtShape(inp.shape)}`,
          );
        }
        if (inp.gradFn) put(grads, inp.gradFn, gi);
        else put(leafGrads, inp, gi);
      }
      // The node's gradient and what its rule returned but nobody took
      // (summed into another gradient, or for an input without grad) are
      // freed now rather than by the garbage collector, so their memory is
      // reused by the rest of the sweep and by the next step.
      own.drop(g0);
      for (const gi of inGrads) if (gi) own.release(gi);
      if (!retain) {
        node.vjp = null;
        node.inputs = [];
      }
    }
    for (const key of [...pending.keys()]) flush(key);
    if (!retain) {
      // Nodes no gradient reached (behind a null vjp result) release their saved values too.
      for (const node of nodes) {
        node.vjp = null;
        node.inputs = [];
      }
    }
    for (const [leaf, g] of leafGrads) {
      if (!leaf.gradFn) leafGrads.set(leaf, applyHooks(leaf.leafHooks, g, mode.op));
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
  if (!(grad instanceof Tensor)) {
    throw new TypeError(`Cannot run ${op}: the upstream gradient must be a Tensor`);
  }
  if (!shapesEqual(grad.shape, root.shape)) {
    throw new ShapeError(
      `Cannot run ${op} with an upstream gradient of shape ${fmtShape(grad.shape)}: expected ${
        fmtShape(root.shape)
      }`,
    );
  }
  if (grad.dtype !== root.dtype) {
    throw new DTypeError(
      `Cannot run ${op} with an upstream gradient of dtype ${grad.dtype}: expected ${root.dtype}`,
    );
  }
  return grad;
}

/**
 * Runs backward from `root`, accumulating into `.grad` of every leaf reached
 * (and of non-leaves that called `retainGrad()`). Same as
 * `root.backward(grad, options)`. Without `retainGraph` the graph's saved
 * values are released, so a second backward through it throws.
 *
 * @param root The output to differentiate; it must require grad.
 * @param grad Upstream gradient of `root`'s shape (required unless `root` has one element).
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
  const leafGrads = sweep([root], [seed], options, { op: "backward()", fillRetained: true });
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
 * any `.grad` (like `torch.autograd.grad`). The inputs may be leaves or
 * intermediate tensors of the graph; hooks run as in `backward()`.
 *
 * @param outputs Tensors to differentiate (one or many); each must require grad.
 * @param inputs Tensors to differentiate with respect to; each must require grad.
 * @param options `gradOutputs` (one upstream gradient per output, each of its
 * output's shape; may be left out for one-element outputs), `retainGraph`,
 * `createGraph` (make the returned gradients differentiable), `allowUnused`.
 * @returns One gradient per input, of that input's shape: the sum over all
 * outputs of the vector-Jacobian products. An input the outputs do not depend
 * on gets zeros with `allowUnused`, and makes the call throw otherwise.
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
  options: GradientsOptions = {},
): Tensor[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const gos = options.gradOutputs;
  if (gos !== undefined && gos.length !== outs.length) {
    throw new RangeError(
      `Cannot run gradients(): got ${gos.length} gradOutputs for ${outs.length} outputs`,
    );
  }
  inputs.forEach((t, i) => {
    if (!t.requiresGrad) {
      throw new Error(
        `Cannot run gradients(): input ${i} (shape ${fmtShape(t.shape)}) does not require grad`,
      );
    }
  });
  const seeds = outs.map((o, i) => seedFor(o, gos?.[i], "gradients()"));
  const g = sweep(outs, seeds, options, {
    op: "gradients()",
    wanted: new Set(inputs),
    fillRetained: false,
  });
  return inputs.map((t, i) => {
    const v = g.get(t);
    if (v) return v;
    if (!options.allowUnused) {
      throw new Error(
        `Cannot run gradients(): input ${i} (shape ${
          fmtShape(t.shape)
        }) is not used by the outputs; pass { allowUnused: true } to get zeros`,
      );
    }
    return zerosLike(t);
  });
}

setGradEngine({
  backward: (root, grad, options) => backward(root, grad, options),
});
