/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum
 * and weight decay (PyTorch's update rule).
 *
 * @module
 */
import type { Tensor } from "@dendrite/tensor";
import { checkRange, Optimizer, type ParamsInput, type ParamState } from "./optimizer.ts";
import { canFuse, runFused } from "./fused.ts";
import { keep, zerosLike } from "@dendrite/tensor";

/** SGD hyperparameters. */
export interface SGDOptions {
  /** Hyperparameters by name. */
  [key: string]: number | boolean;
  /** Learning rate. */
  lr: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Dampening of the momentum (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false). */
  nesterov: boolean;
  /** Maximise instead of minimise (default false). */
  maximize: boolean;
}

/**
 * SGD: `v = μ·v + (1 − dampening)·g; p -= lr·(nesterov ? g + μ·v : v)`, with
 * `g = ∇ + weightDecay·p`, exactly as `torch.optim.SGD`.
 *
 * @example
 * ```ts
 * import { SGD } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
 * for (let i = 0; i < 3; i++) {
 *   opt.zeroGrad();
 *   w.square().sum().backward();
 *   opt.step();
 * }
 * console.assert(Math.abs((w.itemSync() as number) - 0.062) < 1e-4);
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  /**
   * Creates the optimizer.
   *
   * @param params Parameters or groups.
   * @param options Hyperparameters (`lr` required).
   */
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    super(params, {
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
      ...options,
    });
  }

  /**
   * Checks the hyperparameters.
   *
   * @param o A group's hyperparameters.
   */
  protected override validate(o: SGDOptions): void {
    checkRange("SGD", "lr", o.lr, 0);
    checkRange("SGD", "momentum", o.momentum, 0);
    checkRange("SGD", "weightDecay", o.weightDecay, 0);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(
        `Cannot create SGD with nesterov = true, momentum = ${o.momentum}, dampening = ${o.dampening}: Nesterov momentum needs momentum > 0 and dampening = 0`,
      );
    }
  }

  /**
   * Applies the update rule to one parameter.
   *
   * @param p The parameter.
   * @param grad Its gradient.
   * @param s Its state.
   * @param o The group's hyperparameters.
   */
  protected update(p: Tensor, grad: Tensor, s: ParamState, o: SGDOptions): void {
    const first = o.momentum !== 0 && !s.momentumBuffer;
    if (first) s.momentumBuffer = keep(zerosLike(p));
    const gc = grad.isContiguous ? grad : grad.contiguous();
    const tensors = o.momentum !== 0 ? [p, gc, s.momentumBuffer as Tensor] : [p, gc];
    if (canFuse("SgdStep", tensors)) {
      runFused("SgdStep", tensors, { ...o, first });
      return;
    }
    if (first) delete s.momentumBuffer;
    let g = o.maximize ? grad.neg() : grad;
    if (o.weightDecay !== 0) g = g.add(p.mul(o.weightDecay));
    if (o.momentum !== 0) {
      let buf = s.momentumBuffer as Tensor | undefined;
      if (!buf) s.momentumBuffer = buf = keep(g.add(0));
      else buf.mul_(o.momentum).add_(g.mul(1 - o.dampening));
      g = o.nesterov ? g.add(buf.mul(o.momentum)) : buf;
    }
    p.sub_(g.mul(o.lr));
  }
}
