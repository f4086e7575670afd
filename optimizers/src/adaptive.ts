/**
 * Adaptive optimizers with PyTorch's exact update rules: Adagrad, RMSprop,
 * Adadelta, Adam (with AMSGrad), AdamW, Adamax, NAdam and RAdam.
 *
 * @module
 */
import { keep, maximum, type Tensor, zerosLike } from "@dendrite/tensor";
import { checkRange, Optimizer, type ParamsInput, type ParamState } from "./optimizer.ts";
import { canFuse, runFused } from "./fused.ts";

function zeros(s: ParamState, key: string, p: Tensor, fill = 0): Tensor {
  let t = s[key] as Tensor | undefined;
  if (!t) s[key] = t = keep(fill === 0 ? zerosLike(p) : zerosLike(p).add(fill));
  return t;
}

function stepCount(s: ParamState): number {
  s.step = ((s.step as number | undefined) ?? 0) + 1;
  return s.step as number;
}

function withDecay(p: Tensor, grad: Tensor, wd: number, maximize: boolean): Tensor {
  const g = maximize ? grad.neg() : grad;
  return wd !== 0 ? g.add(p.mul(wd)) : g;
}

function checkBetas(name: string, betas: number[]): void {
  checkRange(name, "betas[0]", betas[0], 0, 1);
  checkRange(name, "betas[1]", betas[1], 0, 1);
}

/** Adagrad hyperparameters. */
export interface AdagradOptions {
  /** Hyperparameters by name. */
  [key: string]: number | boolean | number[];
  /** Learning rate (default 0.01). */
  lr: number;
  /** Learning-rate decay per step (default 0). */
  lrDecay: number;
  /** L2 penalty (default 0). */
  weightDecay: number;
  /** Starting value of the squared-gradient sum (default 0). */
  initialAccumulatorValue: number;
  /** Denominator term (default 1e-10). */
  eps: number;
  /** Maximise (default false). */
  maximize: boolean;
}

/**
 * Adagrad: `Σ += g²; p -= lr/(1 + (t−1)·lrDecay) · g/(√Σ + eps)`.
 *
 * @example
 * ```ts
 * import { Adagrad } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new Adagrad([w], { lr: 0.1 });
 * w.square().sum().backward();
 * opt.step();
 * console.assert(Math.abs((w.itemSync() as number) - 0.9) < 1e-6);
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  /**
   * Creates the optimizer.
   *
   * @param params Parameters or groups.
   * @param options Hyperparameters.
   */
  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super(params, {
      lr: 0.01,
      lrDecay: 0,
      weightDecay: 0,
      initialAccumulatorValue: 0,
      eps: 1e-10,
      maximize: false,
      ...options,
    });
  }

  /**
   * Checks the hyperparameters.
   *
   * @param o A group's hyperparameters.
   */
  protected override validate(o: AdagradOptions): void {
    checkRange("Adagrad", "lr", o.lr, 0);
    checkRange("Adagrad", "lrDecay", o.lrDecay, 0);
    checkRange("Adagrad", "eps", o.eps, 0);
  }

  /**
   * Applies the update rule to one parameter.
   *
   * @param p The parameter.
   * @param grad Its gradient.
   * @param s Its state.
   * @param o The group's hyperparameters.
   */
  protected update(p: Tensor, grad: Tensor, s: ParamState, o: AdagradOptions): void {
    const t = stepCount(s);
    const g = withDecay(p, grad, o.weightDecay, o.maximize);
    const sum = zeros(s, "sum", p, o.initialAccumulatorValue);
    const clr = o.lr / (1 + (t - 1) * o.lrDecay);
    sum.add_(g.square());
    p.sub_(g.div(sum.sqrt().add(o.eps)).mul(clr));
  }
}

/** RMSprop hyperparameters. */
export interface RMSpropOptions {
  /** Hyperparameters by name. */
  [key: string]: number | boolean | number[];
  /** Learning rate (default 0.01). */
  lr: number;
  /** Smoothing constant (default 0.99). */
  alpha: number;
  /** Denominator term (default 1e-8). */
  eps: number;
  /** L2 penalty (default 0). */
  weightDecay: number;
  /** Momentum (default 0). */
  momentum: number;
  /** Normalise by the estimated variance (default false). */
  centered: boolean;
  /** Maximise (default false). */
  maximize: boolean;
}

/**
 * RMSprop: `v = α·v + (1−α)·g²`, optionally centred and with momentum, as
 * `torch.optim.RMSprop`.
 *
 * @example
 * ```ts
 * import { RMSprop } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new RMSprop([w], { lr: 0.01 });
 * w.square().sum().backward();
 * opt.step();
 * console.assert(Math.abs((w.itemSync() as number) - 0.9) < 1e-4);
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  /**
   * Creates the optimizer.
   *
   * @param params Parameters or groups.
   * @param options Hyperparameters.
   */
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, {
      lr: 0.01,
      alpha: 0.99,
      eps: 1e-8,
      weightDecay: 0,
      momentum: 0,
      centered: false,
      maximize: false,
      ...options,
    });
  }

  /**
   * Checks the hyperparameters.
   *
   * @param o A group's hyperparameters.
   */
  protected override validate(o: RMSpropOptions): void {
    checkRange("RMSprop", "lr", o.lr, 0);
    checkRange("RMSprop", "alpha", o.alpha, 0);
    checkRange("RMSprop", "eps", o.eps, 0);
    checkRange("RMSprop", "momentum", o.momentum, 0);
  }

  /**
   * Applies the update rule to one parameter.
   *
   * @param p The parameter.
   * @param grad Its gradient.
   * @param s Its state.
   * @param o The group's hyperparameters.
   */
  protected update(p: Tensor, grad: Tensor, s: ParamState, o: RMSpropOptions): void {
    stepCount(s);
    const g = withDecay(p, grad, o.weightDecay, o.maximize);
    const sq = zeros(s, "squareAvg", p);
    sq.mul_(o.alpha).add_(g.square().mul(1 - o.alpha));
    let avg: Tensor;
    if (o.centered) {
      const ga = zeros(s, "gradAvg", p);
      ga.mul_(o.alpha).add_(g.mul(1 - o.alpha));
      avg = sq.sub(ga.square()).sqrt().add(o.eps);
    } else avg = sq.sqrt().add(o.eps);
    if (o.momentum > 0) {
      const buf = zeros(s, "momentumBuffer", p);
      buf.mul_(o.momentum).add_(g.div(avg));
      p.sub_(buf.mul(o.lr));
    } else p.sub_(g.div(avg).mul(o.lr));
  }
}

/** Adadelta hyperparameters. */
export interface AdadeltaOptions {
  /** Hyperparameters by name. */
  [key: string]: number | boolean | number[];
  /** Scale of the update (default 1). */
  lr: number;
  /** Decay of the running averages (default 0.9). */
  rho: number;
  /** Stabiliser (default 1e-6). */
  eps: number;
  /** L2 penalty (default 0). */
  weightDecay: number;
  /** Maximise (default false). */
  maximize: boolean;
}

/**
 * Adadelta: `Δ = √(E[Δ²] + eps)/√(E[g²] + eps) · g; p -= lr·Δ`.
 *
 * @example
 * ```ts
 * import { Adadelta } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new Adadelta([w]);
 * w.square().sum().backward();
 * opt.step();
 * console.assert((w.itemSync() as number) < 1);
 * ```
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  /**
   * Creates the optimizer.
   *
   * @param params Parameters or groups.
   * @param options Hyperparameters.
   */
  constructor(params: ParamsInput<AdadeltaOptions>, options: Partial<AdadeltaOptions> = {}) {
    super(params, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false, ...options });
  }

  /**
   * Checks the hyperparameters.
   *
   * @param o A group's hyperparameters.
   */
  protected override validate(o: AdadeltaOptions): void {
    checkRange("Adadelta", "lr", o.lr, 0);
    checkRange("Adadelta", "rho", o.rho, 0, 1, true);
    checkRange("Adadelta", "eps", o.eps, 0);
  }

  /**
   * Applies the update rule to one parameter.
   *
   * @param p The parameter.
   * @param grad Its gradient.
   * @param s Its state.
   * @param o The group's hyperparameters.
   */
  protected update(p: Tensor, grad: Tensor, s: ParamState, o: AdadeltaOptions): void {
    stepCount(s);
    const g = withDecay(p, grad, o.weightDecay, o.maximize);
    const sq = zeros(s, "squareAvg", p);
    const acc = zeros(s, "accDelta", p);
    sq.mul_(o.rho).add_(g.square().mul(1 - o.rho));
    const delta = acc.add(o.eps).sqrt().div(sq.add(o.eps).sqrt()).mul(g);
    acc.mul_(o.rho).add_(delta.square().mul(1 - o.rho));
    p.sub_(delta.mul(o.lr));
  }
}

/** Adam/AdamW hyperparameters. */
export interface AdamOptions {
  /** Hyperparameters by name. */
  [key: string]: number | boolean | number[];
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Decay rates of the moment estimates (default [0.9, 0.999]). */
  betas: number[];
  /** Denominator term (default 1e-8). */
  eps: number;
  /** L2 penalty (Adam) or decoupled decay (AdamW; default 0 and 0.01). */
  weightDecay: number;
  /** Use the AMSGrad variant (default false). */
  amsgrad: boolean;
  /** Maximise (default false). */
  maximize: boolean;
}

function adamStep(
  p: Tensor,
  g: Tensor,
  s: ParamState,
  o: AdamOptions,
  l2: number,
  decay: number,
): void {
  const t = stepCount(s);
  const [b1, b2] = o.betas;
  const m = zeros(s, "expAvg", p);
  const v = zeros(s, "expAvgSq", p);
  const gc = g.isContiguous ? g : g.contiguous();
  const state = o.amsgrad ? [p, gc, m, v, zeros(s, "maxExpAvgSq", p)] : [p, gc, m, v];
  if (canFuse("AdamStep", state)) {
    runFused("AdamStep", state, {
      stepSize: o.lr / (1 - Math.pow(b1, t)),
      beta1: b1,
      beta2: b2,
      bc2Sqrt: Math.sqrt(1 - Math.pow(b2, t)),
      eps: o.eps,
      weightDecay: l2,
      decay,
      maximize: o.maximize,
    });
    return;
  }
  if (decay !== 1) p.mul_(decay);
  if (o.maximize) g = g.neg();
  if (l2 !== 0) g = g.add(p.mul(l2));
  m.mul_(b1).add_(g.mul(1 - b1));
  v.mul_(b2).add_(g.square().mul(1 - b2));
  const bc1 = 1 - Math.pow(b1, t);
  const bc2 = 1 - Math.pow(b2, t);
  let vHat = v;
  if (o.amsgrad) {
    const vmax = zeros(s, "maxExpAvgSq", p);
    vmax.copy_(maximum(vmax, v));
    vHat = vmax;
  }
  const denom = vHat.sqrt().div(Math.sqrt(bc2)).add(o.eps);
  p.sub_(m.div(denom).mul(o.lr / bc1));
}

/**
 * Adam (Kingma & Ba) with optional AMSGrad and L2 weight decay added to the
 * gradient, as `torch.optim.Adam`.
 *
 * @example
 * ```ts
 * import { Adam } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new Adam([w], { lr: 0.1 });
 * w.square().sum().backward();
 * opt.step();
 * console.assert(Math.abs((w.itemSync() as number) - 0.9) < 1e-5);
 * ```
 */
export class Adam extends Optimizer<AdamOptions> {
  /**
   * Creates the optimizer.
   *
   * @param params Parameters or groups.
   * @param options Hyperparameters.
   */
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      maximize: false,
      ...options,
    });
  }

  /**
   * Checks the hyperparameters.
   *
   * @param o A group's hyperparameters.
   */
  protected override validate(o: AdamOptions): void {
    checkRange(this.constructor.name, "lr", o.lr, 0);
    checkRange(this.constructor.name, "eps", o.eps, 0);
    checkRange(this.constructor.name, "weightDecay", o.weightDecay, 0);
    checkBetas(this.constructor.name, o.betas);
  }

  /**
   * Applies the update rule to one parameter.
   *
   * @param p The parameter.
   * @param grad Its gradient.
   * @param s Its state.
   * @param o The group's hyperparameters.
   */
  protected update(p: Tensor, grad: Tensor, s: ParamState, o: AdamOptions): void {
    adamStep(p, grad, s, o, o.weightDecay, 1);
  }
}

/**
 * AdamW: Adam with decoupled weight decay `p *= 1 − lr·weightDecay`
 * (default weight decay 0.01), as `torch.optim.AdamW`.
 *
 * @example
 * ```ts
 * import { AdamW } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new AdamW([w], { lr: 0.1, weightDecay: 0.1 });
 * w.square().sum().backward();
 * opt.step();
 * console.assert(Math.abs((w.itemSync() as number) - 0.89) < 1e-5);
 * ```
 */
export class AdamW extends Adam {
  /**
   * Creates the optimizer.
   *
   * @param params Parameters or groups.
   * @param options Hyperparameters.
   */
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 0.01, ...options });
  }

  /**
   * Applies the update rule to one parameter.
   *
   * @param p The parameter.
   * @param grad Its gradient.
   * @param s Its state.
   * @param o The group's hyperparameters.
   */
  protected override update(p: Tensor, grad: Tensor, s: ParamState, o: AdamOptions): void {
    adamStep(p, grad, s, o, 0, 1 - o.lr * o.weightDecay);
  }
}

/**
 * Adamax: Adam with the infinity norm, `u = max(β₂·u, |g| + eps)`.
 *
 * @example
 * ```ts
 * import { Adamax } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new Adamax([w], { lr: 0.1 });
 * w.square().sum().backward();
 * opt.step();
 * console.assert(Math.abs((w.itemSync() as number) - 0.9) < 1e-5);
 * ```
 */
export class Adamax extends Optimizer<AdamOptions> {
  /**
   * Creates the optimizer.
   *
   * @param params Parameters or groups.
   * @param options Hyperparameters (default lr 2e-3).
   */
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, {
      lr: 2e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      maximize: false,
      ...options,
    });
  }

  /**
   * Checks the hyperparameters.
   *
   * @param o A group's hyperparameters.
   */
  protected override validate(o: AdamOptions): void {
    checkRange("Adamax", "lr", o.lr, 0);
    checkBetas("Adamax", o.betas);
  }

  /**
   * Applies the update rule to one parameter.
   *
   * @param p The parameter.
   * @param grad Its gradient.
   * @param s Its state.
   * @param o The group's hyperparameters.
   */
  protected update(p: Tensor, grad: Tensor, s: ParamState, o: AdamOptions): void {
    const t = stepCount(s);
    const g = withDecay(p, grad, o.weightDecay, o.maximize);
    const [b1, b2] = o.betas;
    const m = zeros(s, "expAvg", p);
    const u = zeros(s, "expInf", p);
    m.mul_(b1).add_(g.mul(1 - b1));
    u.copy_(maximum(u.mul(b2), maximum(g, g.neg()).add(o.eps)));
    p.sub_(m.div(u).mul(o.lr / (1 - Math.pow(b1, t))));
  }
}

/** NAdam hyperparameters. */
export interface NAdamOptions extends AdamOptions {
  /** Momentum decay ψ (default 4e-3). */
  momentumDecay: number;
}

/**
 * NAdam: Adam with Nesterov momentum and the momentum schedule
 * `μ_t = β₁(1 − 0.5·0.96^(t·ψ))`, as `torch.optim.NAdam`.
 *
 * @example
 * ```ts
 * import { NAdam } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new NAdam([w], { lr: 0.1 });
 * w.square().sum().backward();
 * opt.step();
 * console.assert((w.itemSync() as number) < 1);
 * ```
 */
export class NAdam extends Optimizer<NAdamOptions> {
  /**
   * Creates the optimizer.
   *
   * @param params Parameters or groups.
   * @param options Hyperparameters (default lr 2e-3).
   */
  constructor(params: ParamsInput<NAdamOptions>, options: Partial<NAdamOptions> = {}) {
    super(params, {
      lr: 2e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      momentumDecay: 4e-3,
      amsgrad: false,
      maximize: false,
      ...options,
    });
  }

  /**
   * Checks the hyperparameters.
   *
   * @param o A group's hyperparameters.
   */
  protected override validate(o: NAdamOptions): void {
    checkRange("NAdam", "lr", o.lr, 0);
    checkRange("NAdam", "momentumDecay", o.momentumDecay, 0);
    checkBetas("NAdam", o.betas);
  }

  /**
   * Applies the update rule to one parameter.
   *
   * @param p The parameter.
   * @param grad Its gradient.
   * @param s Its state.
   * @param o The group's hyperparameters.
   */
  protected update(p: Tensor, grad: Tensor, s: ParamState, o: NAdamOptions): void {
    const t = stepCount(s);
    const g = withDecay(p, grad, o.weightDecay, o.maximize);
    const [b1, b2] = o.betas;
    const mu = b1 * (1 - 0.5 * Math.pow(0.96, t * o.momentumDecay));
    const muNext = b1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * o.momentumDecay));
    const muProduct = ((s.muProduct as number | undefined) ?? 1) * mu;
    s.muProduct = muProduct;
    const m = zeros(s, "expAvg", p);
    const v = zeros(s, "expAvgSq", p);
    m.mul_(b1).add_(g.mul(1 - b1));
    v.mul_(b2).add_(g.square().mul(1 - b2));
    const bc2 = 1 - Math.pow(b2, t);
    const denom = v.div(bc2).sqrt().add(o.eps);
    p.sub_(g.div(denom).mul(o.lr * (1 - mu) / (1 - muProduct)));
    p.sub_(m.div(denom).mul(o.lr * muNext / (1 - muProduct * muNext)));
  }
}

/**
 * RAdam: Adam with the variance rectification of Liu et al., falling back to
 * momentum SGD while the variance estimate is unreliable (ρ_t ≤ 5).
 *
 * @example
 * ```ts
 * import { RAdam } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1], { requiresGrad: true });
 * const opt = new RAdam([w], { lr: 0.1 });
 * w.square().sum().backward();
 * opt.step();
 * console.assert(Math.abs((w.itemSync() as number) - 0.8) < 1e-5);
 * ```
 */
export class RAdam extends Optimizer<AdamOptions> {
  /**
   * Creates the optimizer.
   *
   * @param params Parameters or groups.
   * @param options Hyperparameters.
   */
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      maximize: false,
      ...options,
    });
  }

  /**
   * Checks the hyperparameters.
   *
   * @param o A group's hyperparameters.
   */
  protected override validate(o: AdamOptions): void {
    checkRange("RAdam", "lr", o.lr, 0);
    checkBetas("RAdam", o.betas);
  }

  /**
   * Applies the update rule to one parameter.
   *
   * @param p The parameter.
   * @param grad Its gradient.
   * @param s Its state.
   * @param o The group's hyperparameters.
   */
  protected update(p: Tensor, grad: Tensor, s: ParamState, o: AdamOptions): void {
    const t = stepCount(s);
    const g = withDecay(p, grad, o.weightDecay, o.maximize);
    const [b1, b2] = o.betas;
    const m = zeros(s, "expAvg", p);
    const v = zeros(s, "expAvgSq", p);
    m.mul_(b1).add_(g.mul(1 - b1));
    v.mul_(b2).add_(g.square().mul(1 - b2));
    const bc1 = 1 - Math.pow(b1, t);
    const bc2 = 1 - Math.pow(b2, t);
    const rhoInf = 2 / (1 - b2) - 1;
    const rhoT = rhoInf - 2 * t * Math.pow(b2, t) / bc2;
    const mHat = m.div(bc1);
    if (rhoT > 5) {
      const rect = Math.sqrt(
        (rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT),
      );
      const adaptive = v.sqrt().add(o.eps).rdiv(Math.sqrt(bc2));
      p.sub_(mHat.mul(adaptive).mul(o.lr * rect));
    } else p.sub_(mHat.mul(o.lr));
  }
}
