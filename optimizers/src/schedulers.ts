/**
 * Learning-rate schedules with PyTorch's names and closed forms, composable
 * with `SequentialLR`, plus `ReduceLROnPlateau`.
 *
 * Call `scheduler.step()` once per epoch (or per batch for `OneCycleLR`)
 * after `optimizer.step()`, as in PyTorch.
 *
 * @module
 */
import type { Optimizer } from "./optimizer.ts";

/** A schedule's serialisable state. */
export interface SchedulerState {
  /** Steps taken. */
  lastEpoch: number;
  /** The learning rates the schedule started from. */
  baseLrs: number[];
  /** Extra fields of specific schedules. */
  [key: string]: unknown;
}

/**
 * Base class: a schedule is a function of the step count and each group's
 * base learning rate.
 */
export abstract class LRScheduler {
  /** The optimizer whose learning rates are set. */
  readonly optimizer: Optimizer;
  /** Initial learning rate of each group. */
  baseLrs: number[];
  /** Steps taken so far (0 after construction). */
  lastEpoch = 0;

  /**
   * Creates the schedule and applies its learning rate for step 0.
   *
   * @param optimizer The optimizer.
   */
  constructor(optimizer: Optimizer) {
    this.optimizer = optimizer;
    // Like PyTorch's `initial_lr`: the first schedule records each group's
    // starting rate, and every later schedule on the optimizer starts from it.
    for (const g of optimizer.paramGroups) g.options.initialLr ??= g.options.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.options.initialLr as number);
  }

  /**
   * The learning rate of a group at a step.
   *
   * @param epoch The step count.
   * @param baseLr The group's base learning rate.
   * @returns The learning rate.
   */
  abstract lrAt(epoch: number, baseLr: number): number;

  /** Sets the learning rates for the current step. */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.options.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]);
    });
  }

  /** Advances one step and updates the learning rates. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /**
   * The learning rates set by the last step.
   *
   * @returns One per group.
   */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.options.lr as number);
  }

  /**
   * The schedule's state.
   *
   * @returns Step count and base learning rates.
   */
  stateDict(): SchedulerState {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /**
   * Restores a state and re-applies the learning rates.
   *
   * @param sd The state.
   */
  loadStateDict(sd: SchedulerState): void {
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs = [...sd.baseLrs];
    this.apply();
  }
}

/** The hyperparameter a momentum-cycling schedule sets: SGD's/RMSprop's momentum or Adam's betas. */
type MomentumKey = "momentum" | "betas";

/**
 * Which hyperparameter `name` cycles (null when `cycle` is false), as
 * PyTorch chooses it; an optimizer with neither is refused.
 */
function cycledMomentum(
  name: string,
  optimizer: Optimizer,
  cycle: boolean | undefined,
): MomentumKey | null {
  if (cycle === false) return null;
  const group = optimizer.paramGroups[0].options;
  if ("momentum" in group) return "momentum";
  if ("betas" in group) return "betas";
  throw new RangeError(
    `Cannot create ${name} with cycleMomentum for ${optimizer.constructor.name}: it has neither momentum nor betas (pass cycleMomentum: false)`,
  );
}

/** Sets every group's momentum, or its first beta, to `m`. */
function setMomentum(optimizer: Optimizer, key: MomentumKey, m: number): void {
  for (const g of optimizer.paramGroups) {
    const o = g.options as Record<string, unknown>;
    if (key === "momentum") o.momentum = m;
    else o.betas = [m, ...(o.betas as number[]).slice(1)];
  }
}

function init<T extends LRScheduler>(s: T): T {
  (s as unknown as { apply(): void }).apply();
  return s;
}

function positiveInt(name: string, key: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) {
    throw new RangeError(`Cannot create ${name} with ${key} = ${v}: expected a positive integer`);
  }
}

/**
 * Multiplies the learning rate by `factor` for the first `totalIters` steps.
 *
 * @example
 * ```ts
 * import { ConstantLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 0.3 });
 * const s = new ConstantLR(opt, { factor: 0.5, totalIters: 2 });
 * console.assert(s.getLastLr()[0] === 0.15);
 * s.step(); s.step();
 * console.assert(s.getLastLr()[0] === 0.3);
 * ```
 */
export class ConstantLR extends LRScheduler {
  /** The factor. */
  readonly factor: number;
  /** Steps with the factor applied. */
  readonly totalIters: number;
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `factor` (default 1/3), `totalIters` (default 5).
   */
  constructor(optimizer: Optimizer, options: { factor?: number; totalIters?: number } = {}) {
    super(optimizer);
    this.factor = options.factor ?? 1 / 3;
    this.totalIters = options.totalIters ?? 5;
    if (this.factor < 0 || this.factor > 1) {
      throw new RangeError(
        `Cannot create ConstantLR with factor = ${this.factor}: expected a value in [0, 1]`,
      );
    }
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    return base * (epoch < this.totalIters ? this.factor : 1);
  }
}

/**
 * Linear warm-up (or decay) of the factor from `startFactor` to `endFactor`
 * over `totalIters` steps.
 *
 * @example
 * ```ts
 * import { LinearLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const s = new LinearLR(opt, { startFactor: 0.25, totalIters: 3 });
 * s.step();
 * console.assert(s.getLastLr()[0] === 0.5);
 * ```
 */
export class LinearLR extends LRScheduler {
  /** Factor at step 0. */
  readonly startFactor: number;
  /** Factor from `totalIters` on. */
  readonly endFactor: number;
  /** Length of the ramp. */
  readonly totalIters: number;
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `startFactor` (1/3), `endFactor` (1), `totalIters` (5).
   */
  constructor(
    optimizer: Optimizer,
    options: { startFactor?: number; endFactor?: number; totalIters?: number } = {},
  ) {
    super(optimizer);
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    this.totalIters = options.totalIters ?? 5;
    if (this.startFactor <= 0 || this.startFactor > 1) {
      throw new RangeError(
        `Cannot create LinearLR with startFactor = ${this.startFactor}: expected a value in (0, 1]`,
      );
    }
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    const t = Math.min(this.totalIters, epoch);
    return base * (this.startFactor + (this.endFactor - this.startFactor) * t / this.totalIters);
  }
}

/**
 * Multiplies the learning rate by `gamma` every `stepSize` steps.
 *
 * @example
 * ```ts
 * import { SGD, StepLR } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const s = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
 * s.step(); s.step();
 * console.assert(s.getLastLr()[0] === 0.5);
 * ```
 */
export class StepLR extends LRScheduler {
  /** Period. */
  readonly stepSize: number;
  /** Decay factor. */
  readonly gamma: number;
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `stepSize` (required), `gamma` (0.1).
   */
  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number }) {
    super(optimizer);
    positiveInt("StepLR", "stepSize", options.stepSize);
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    return base * Math.pow(this.gamma, Math.floor(epoch / this.stepSize));
  }
}

/**
 * Multiplies the learning rate by `gamma` at each milestone.
 *
 * @example
 * ```ts
 * import { MultiStepLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const s = new MultiStepLR(opt, { milestones: [1, 3], gamma: 0.1 });
 * s.step();
 * console.assert(Math.abs(s.getLastLr()[0] - 0.1) < 1e-12);
 * ```
 */
export class MultiStepLR extends LRScheduler {
  /** Steps at which to decay (sorted). */
  readonly milestones: number[];
  /** Decay factor. */
  readonly gamma: number;
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `milestones`, `gamma` (0.1).
   */
  constructor(optimizer: Optimizer, options: { milestones: number[]; gamma?: number }) {
    super(optimizer);
    this.milestones = [...options.milestones].sort((a, b) => a - b);
    this.gamma = options.gamma ?? 0.1;
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    const passed = this.milestones.filter((m) => m <= epoch).length;
    return base * Math.pow(this.gamma, passed);
  }
}

/**
 * Multiplies the learning rate by `gamma` every step.
 *
 * @example
 * ```ts
 * import { ExponentialLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const s = new ExponentialLR(opt, { gamma: 0.5 });
 * s.step(); s.step();
 * console.assert(s.getLastLr()[0] === 0.25);
 * ```
 */
export class ExponentialLR extends LRScheduler {
  /** Decay factor. */
  readonly gamma: number;
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `gamma`.
   */
  constructor(optimizer: Optimizer, options: { gamma: number }) {
    super(optimizer);
    this.gamma = options.gamma;
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    return base * Math.pow(this.gamma, epoch);
  }
}

/**
 * The base rate times a function of the step count (`torch.optim.lr_scheduler.LambdaLR`),
 * e.g. a linear warm-up.
 *
 * @example
 * ```ts
 * import { LambdaLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const s = new LambdaLR(opt, { lrLambda: (step) => Math.min(1, (step + 1) / 4) });
 * s.step();
 * console.assert(s.getLastLr()[0] === 0.5);
 * ```
 */
export class LambdaLR extends LRScheduler {
  /** The factor at each step. */
  readonly lrLambda: (epoch: number) => number;
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `lrLambda(step)`: the factor of the base rate.
   */
  constructor(optimizer: Optimizer, options: { lrLambda: (epoch: number) => number }) {
    super(optimizer);
    this.lrLambda = options.lrLambda;
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    return base * this.lrLambda(epoch);
  }
}

/**
 * Multiplies the rate by a function of the step count at each step
 * (`torch.optim.lr_scheduler.MultiplicativeLR`): after `t` steps the rate is
 * the base times `f(1)·…·f(t)`.
 *
 * @example
 * ```ts
 * import { MultiplicativeLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const s = new MultiplicativeLR(opt, { lrLambda: () => 0.5 });
 * s.step(); s.step();
 * console.assert(s.getLastLr()[0] === 0.25);
 * ```
 */
export class MultiplicativeLR extends LRScheduler {
  /** The factor applied at each step. */
  readonly lrLambda: (epoch: number) => number;
  /** `f(1)·…·f(t)` at index t, extended as steps are reached (each factor computed once). */
  private products = [1];
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `lrLambda(step)`: the factor applied at that step.
   */
  constructor(optimizer: Optimizer, options: { lrLambda: (epoch: number) => number }) {
    super(optimizer);
    this.lrLambda = options.lrLambda;
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    const p = this.products;
    for (let k = p.length; k <= epoch; k++) p.push(p[k - 1] * this.lrLambda(k));
    return base * p[epoch];
  }
}

/**
 * Cyclical learning rates (Smith; `torch.optim.lr_scheduler.CyclicLR`):
 * the rate climbs from `baseLr` to `maxLr` over `stepSizeUp` steps and back
 * over `stepSizeDown`, the height scaled per cycle ("triangular",
 * "triangular2": halved each cycle) or per step ("expRange": `gamma^step`).
 * Like PyTorch it sets the optimizer's rate to `baseLr`, and by default
 * cycles the momentum the other way (`maxMomentum` 0.9 down to
 * `baseMomentum` 0.8; SGD's or RMSprop's `momentum`, or Adam's first beta).
 *
 * @example
 * ```ts
 * import { CyclicLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1, momentum: 0.9 });
 * const s = new CyclicLR(opt, { baseLr: 0.1, maxLr: 1, stepSizeUp: 2 });
 * s.step();
 * console.assert(Math.abs(s.getLastLr()[0] - 0.55) < 1e-12);
 * ```
 */
export class CyclicLR extends LRScheduler {
  /** Peak rate. */
  readonly maxLr: number;
  /** Steps of a cycle, and the share of them spent climbing. */
  readonly totalSize: number;
  private stepRatio: number;
  private mode: "triangular" | "triangular2" | "expRange";
  private gamma: number;
  /** Where the cycled momentum goes, or null (not cycled). */
  readonly momentumKey: "momentum" | "betas" | null;
  private baseMomentum: number;
  private maxMomentum: number;
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `baseLr`, `maxLr`, `stepSizeUp` (2000), `stepSizeDown` (= up),
   * `mode` ("triangular"), `gamma` (1, for "expRange"), `cycleMomentum` (true),
   * `baseMomentum` (0.8), `maxMomentum` (0.9).
   */
  constructor(
    optimizer: Optimizer,
    options: {
      baseLr: number;
      maxLr: number;
      stepSizeUp?: number;
      stepSizeDown?: number;
      mode?: "triangular" | "triangular2" | "expRange";
      gamma?: number;
      cycleMomentum?: boolean;
      baseMomentum?: number;
      maxMomentum?: number;
    },
  ) {
    // As in PyTorch, the optimizer starts at baseLr (which later schedules
    // then take as their initial rate).
    for (const g of optimizer.paramGroups) g.options.lr = options.baseLr;
    super(optimizer);
    const up = options.stepSizeUp ?? 2000, down = options.stepSizeDown ?? up;
    positiveInt("CyclicLR", "stepSizeUp", up);
    positiveInt("CyclicLR", "stepSizeDown", down);
    this.mode = options.mode ?? "triangular";
    if (!["triangular", "triangular2", "expRange"].includes(this.mode)) {
      throw new RangeError(
        `Cannot create CyclicLR with mode "${this.mode}": expected "triangular", "triangular2" or "expRange"`,
      );
    }
    this.maxLr = options.maxLr;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.gamma = options.gamma ?? 1;
    this.momentumKey = cycledMomentum("CyclicLR", optimizer, options.cycleMomentum);
    this.baseMomentum = options.baseMomentum ?? 0.8;
    this.maxMomentum = options.maxMomentum ?? 0.9;
    this.baseLrs = this.baseLrs.map(() => options.baseLr);
    init(this);
  }

  /** The height's fraction at a step: the triangle times the mode's scale. */
  private height(epoch: number): number {
    const cycle = Math.floor(1 + epoch / this.totalSize);
    const x = 1 + epoch / this.totalSize - cycle;
    const triangle = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.mode === "triangular"
      ? 1
      : this.mode === "triangular2"
      ? 1 / Math.pow(2, cycle - 1)
      : Math.pow(this.gamma, epoch);
    return triangle * scale;
  }

  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate (`baseLr`).
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    return base + (this.maxLr - base) * this.height(epoch);
  }

  /** Sets the learning rates and, when cycled, the momentum for the current step. */
  protected override apply(): void {
    super.apply();
    if (!this.momentumKey) return;
    const h = this.height(this.lastEpoch);
    setMomentum(
      this.optimizer,
      this.momentumKey,
      this.maxMomentum - (this.maxMomentum - this.baseMomentum) * h,
    );
  }
}

/**
 * Polynomial decay to 0 over `totalIters` steps.
 *
 * @example
 * ```ts
 * import { PolynomialLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const s = new PolynomialLR(opt, { totalIters: 4, power: 2 });
 * s.step(); s.step();
 * console.assert(s.getLastLr()[0] === 0.25);
 * ```
 */
export class PolynomialLR extends LRScheduler {
  /** Steps until the rate reaches 0. */
  readonly totalIters: number;
  /** Power of the polynomial. */
  readonly power: number;
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `totalIters` (5), `power` (1).
   */
  constructor(optimizer: Optimizer, options: { totalIters?: number; power?: number } = {}) {
    super(optimizer);
    this.totalIters = options.totalIters ?? 5;
    this.power = options.power ?? 1;
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    return base * Math.pow(1 - Math.min(this.totalIters, epoch) / this.totalIters, this.power);
  }
}

/**
 * Cosine annealing from the base rate to `etaMin` over `tMax` steps.
 *
 * @example
 * ```ts
 * import { CosineAnnealingLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const s = new CosineAnnealingLR(opt, { tMax: 2 });
 * s.step();
 * console.assert(Math.abs(s.getLastLr()[0] - 0.5) < 1e-12);
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Half period. */
  readonly tMax: number;
  /** Minimum rate. */
  readonly etaMin: number;
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `tMax`, `etaMin` (0).
   */
  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number }) {
    super(optimizer);
    positiveInt("CosineAnnealingLR", "tMax", options.tMax);
    this.tMax = options.tMax;
    this.etaMin = options.etaMin ?? 0;
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    return this.etaMin + (base - this.etaMin) * (1 + Math.cos(Math.PI * epoch / this.tMax)) / 2;
  }
}

/**
 * Cosine annealing with warm restarts (SGDR): periods `t0`, `t0·tMult`, ...
 *
 * @example
 * ```ts
 * import { CosineAnnealingWarmRestarts, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const s = new CosineAnnealingWarmRestarts(opt, { t0: 2 });
 * s.step(); s.step();
 * console.assert(s.getLastLr()[0] === 1);
 * ```
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** First period. */
  readonly t0: number;
  /** Period growth factor. */
  readonly tMult: number;
  /** Minimum rate. */
  readonly etaMin: number;
  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `t0`, `tMult` (1), `etaMin` (0).
   */
  constructor(optimizer: Optimizer, options: { t0: number; tMult?: number; etaMin?: number }) {
    super(optimizer);
    positiveInt("CosineAnnealingWarmRestarts", "t0", options.t0);
    this.t0 = options.t0;
    this.tMult = options.tMult ?? 1;
    positiveInt("CosineAnnealingWarmRestarts", "tMult", this.tMult);
    this.etaMin = options.etaMin ?? 0;
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    let tCur = epoch, tI = this.t0;
    if (this.tMult === 1) tCur = epoch % this.t0;
    else {
      while (tCur >= tI) {
        tCur -= tI;
        tI *= this.tMult;
      }
    }
    return this.etaMin + (base - this.etaMin) * (1 + Math.cos(Math.PI * tCur / tI)) / 2;
  }
}

/**
 * The one-cycle policy (Smith): warm up to `maxLr`, then anneal to
 * `maxLr / (divFactor · finalDivFactor)` over `totalSteps` batches. As in
 * PyTorch, the momentum cycles the other way by default (`cycleMomentum`):
 * from `maxMomentum` (0.95) down to `baseMomentum` (0.85) while the rate
 * rises, and back up while it falls. It sets SGD's and RMSprop's `momentum`
 * (even when the optimizer was created with momentum 0, as PyTorch does) or
 * the first of Adam's `betas`; an optimizer with neither needs
 * `cycleMomentum: false`.
 *
 * @example
 * ```ts
 * import { OneCycleLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1, momentum: 0.9 });
 * const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 10 });
 * console.assert(Math.abs(s.getLastLr()[0] - 0.04) < 1e-12);
 * console.assert(opt.paramGroups[0].options.momentum === 0.95);
 * ```
 */
export class OneCycleLR extends LRScheduler {
  private phases: { end: number; start: number; stop: number; mStart: number; mStop: number }[];
  private cosine: boolean;
  /** Total number of steps. */
  readonly totalSteps: number;
  /** Where the cycled momentum goes: `"momentum"`, `"betas"` (its first), or null (not cycled). */
  readonly momentumKey: "momentum" | "betas" | null;
  /**
   * Creates the schedule (its base rate is `maxLr / divFactor`).
   *
   * @param optimizer The optimizer.
   * @param options `maxLr`, `totalSteps`, `pctStart` (0.3), `annealStrategy` ("cos"),
   * `divFactor` (25), `finalDivFactor` (1e4), `threePhase` (false),
   * `cycleMomentum` (true), `baseMomentum` (0.85), `maxMomentum` (0.95).
   */
  constructor(
    optimizer: Optimizer,
    options: {
      maxLr: number;
      totalSteps: number;
      pctStart?: number;
      annealStrategy?: "cos" | "linear";
      divFactor?: number;
      finalDivFactor?: number;
      threePhase?: boolean;
      cycleMomentum?: boolean;
      baseMomentum?: number;
      maxMomentum?: number;
    },
  ) {
    super(optimizer);
    positiveInt("OneCycleLR", "totalSteps", options.totalSteps);
    const pct = options.pctStart ?? 0.3;
    if (pct <= 0 || pct >= 1) {
      throw new RangeError(
        `Cannot create OneCycleLR with pctStart = ${pct}: expected a value in (0, 1)`,
      );
    }
    this.momentumKey = cycledMomentum("OneCycleLR", optimizer, options.cycleMomentum);
    this.totalSteps = options.totalSteps;
    const div = options.divFactor ?? 25;
    const finalDiv = options.finalDivFactor ?? 1e4;
    const initial = options.maxLr / div;
    const minLr = initial / finalDiv;
    const lo = options.baseMomentum ?? 0.85, hi = options.maxMomentum ?? 0.95;
    const n = this.totalSteps;
    this.cosine = (options.annealStrategy ?? "cos") === "cos";
    this.phases = options.threePhase
      ? [
        { end: pct * n - 1, start: initial, stop: options.maxLr, mStart: hi, mStop: lo },
        { end: 2 * pct * n - 2, start: options.maxLr, stop: initial, mStart: lo, mStop: hi },
        { end: n - 1, start: initial, stop: minLr, mStart: hi, mStop: hi },
      ]
      : [
        { end: pct * n - 1, start: initial, stop: options.maxLr, mStart: hi, mStop: lo },
        { end: n - 1, start: options.maxLr, stop: minLr, mStart: lo, mStop: hi },
      ];
    this.baseLrs = this.baseLrs.map(() => initial);
    init(this);
  }

  /** The phase of a step and how far into it the step is (0 to 1). */
  private locate(epoch: number): { phase: OneCycleLR["phases"][number]; pct: number } {
    if (epoch > this.totalSteps) {
      throw new RangeError(
        `Cannot step OneCycleLR ${epoch} times: totalSteps is ${this.totalSteps}`,
      );
    }
    let startStep = 0;
    for (let i = 0; i < this.phases.length - 1; i++) {
      if (epoch <= this.phases[i].end) {
        return {
          phase: this.phases[i],
          pct: (epoch - startStep) / (this.phases[i].end - startStep),
        };
      }
      startStep = this.phases[i].end;
    }
    const last = this.phases[this.phases.length - 1];
    return { phase: last, pct: (epoch - startStep) / (last.end - startStep) };
  }

  /** From `start` at pct 0 to `stop` at pct 1, along a cosine or a line. */
  private anneal(start: number, stop: number, pct: number): number {
    return this.cosine
      ? stop + (start - stop) / 2 * (Math.cos(Math.PI * pct) + 1)
      : (stop - start) * pct + start;
  }

  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param _base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, _base: number): number {
    const { phase, pct } = this.locate(epoch);
    return this.anneal(phase.start, phase.stop, pct);
  }

  /**
   * The momentum at a step (whether or not it is cycled).
   *
   * @param epoch The step count.
   * @returns The momentum.
   */
  momentumAt(epoch: number): number {
    const { phase, pct } = this.locate(epoch);
    return this.anneal(phase.mStart, phase.mStop, pct);
  }

  /** Sets the learning rates and, when cycled, the momentum for the current step. */
  protected override apply(): void {
    super.apply();
    if (!this.momentumKey) return;
    setMomentum(this.optimizer, this.momentumKey, this.momentumAt(this.lastEpoch));
  }
}

/**
 * Runs schedules one after another, switching at the milestones; each
 * schedule counts its steps from its own start.
 *
 * @example
 * ```ts
 * import { CosineAnnealingLR, LinearLR, SequentialLR, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const warm = new LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
 * const cos = new CosineAnnealingLR(opt, { tMax: 4 });
 * const s = new SequentialLR(opt, [warm, cos], [2]);
 * s.step(); s.step();
 * console.assert(s.getLastLr()[0] === 1);
 * ```
 */
export class SequentialLR extends LRScheduler {
  /** The schedules. */
  readonly schedulers: LRScheduler[];
  /** Steps at which the next schedule takes over. */
  readonly milestones: number[];
  /**
   * Creates the composition.
   *
   * @param optimizer The optimizer (shared by all schedules).
   * @param schedulers The schedules, in order.
   * @param milestones `schedulers.length - 1` increasing step counts.
   */
  constructor(optimizer: Optimizer, schedulers: LRScheduler[], milestones: number[]) {
    super(optimizer);
    if (milestones.length !== schedulers.length - 1) {
      throw new RangeError(
        `Cannot create SequentialLR with ${schedulers.length} schedulers and ${milestones.length} milestones: expected ${
          schedulers.length - 1
        } milestones`,
      );
    }
    for (const s of schedulers) {
      if (s.optimizer !== optimizer) {
        throw new RangeError(
          "Cannot create SequentialLR: every scheduler must use the same optimizer",
        );
      }
    }
    this.schedulers = schedulers;
    this.milestones = milestones;
    this.baseLrs = schedulers[0].baseLrs;
    init(this);
  }
  /**
   * The learning rate at a step.
   *
   * @param epoch The step count.
   * @param base The group's base rate.
   * @returns The rate.
   */
  lrAt(epoch: number, base: number): number {
    let i = 0;
    while (i < this.milestones.length && epoch >= this.milestones[i]) i++;
    const start = i === 0 ? 0 : this.milestones[i - 1];
    const s = this.schedulers[i];
    const gi = this.baseLrs.indexOf(base);
    return s.lrAt(epoch - start, s.baseLrs[gi >= 0 ? gi : 0]);
  }
  /** Sets each group's rate from the active schedule. */
  protected override apply(): void {
    this.optimizer.paramGroups.forEach((g, gi) => {
      let i = 0;
      while (i < this.milestones.length && this.lastEpoch >= this.milestones[i]) i++;
      const start = i === 0 ? 0 : this.milestones[i - 1];
      const s = this.schedulers[i];
      s.lastEpoch = this.lastEpoch - start;
      g.options.lr = s.lrAt(this.lastEpoch - start, s.baseLrs[gi]);
    });
  }
}

/**
 * Cuts the learning rate by `factor` when a metric stops improving for
 * `patience` epochs (PyTorch's rules for thresholds and cooldown).
 *
 * @example
 * ```ts
 * import { ReduceLROnPlateau, SGD } from "@dendrite/optimizers";
 * import { zeros } from "@dendrite/tensor";
 * const opt = new SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
 * const s = new ReduceLROnPlateau(opt, { patience: 1, factor: 0.5 });
 * for (const loss of [1, 1, 1]) s.step(loss);
 * console.assert(s.getLastLr()[0] === 0.5);
 * ```
 */
export class ReduceLROnPlateau {
  /** The optimizer. */
  readonly optimizer: Optimizer;
  private mode: "min" | "max";
  private factor: number;
  private patience: number;
  private threshold: number;
  private thresholdMode: "rel" | "abs";
  private cooldown: number;
  private minLrs: number[];
  private eps: number;
  private best: number;
  private badEpochs = 0;
  private cooldownCounter = 0;
  /** Epochs seen. */
  lastEpoch = 0;

  /**
   * Creates the schedule.
   *
   * @param optimizer The optimizer.
   * @param options `mode` ("min"), `factor` (0.1), `patience` (10), `threshold` (1e-4),
   * `thresholdMode` ("rel"), `cooldown` (0), `minLr` (0, or one per group), `eps` (1e-8).
   */
  constructor(
    optimizer: Optimizer,
    options: {
      mode?: "min" | "max";
      factor?: number;
      patience?: number;
      threshold?: number;
      thresholdMode?: "rel" | "abs";
      cooldown?: number;
      minLr?: number | number[];
      eps?: number;
    } = {},
  ) {
    this.optimizer = optimizer;
    this.mode = options.mode ?? "min";
    this.factor = options.factor ?? 0.1;
    if (this.factor >= 1) {
      throw new RangeError(
        `Cannot create ReduceLROnPlateau with factor = ${this.factor}: expected a value < 1`,
      );
    }
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = options.thresholdMode ?? "rel";
    this.cooldown = options.cooldown ?? 0;
    const m = options.minLr ?? 0;
    this.minLrs = Array.isArray(m) ? [...m] : optimizer.paramGroups.map(() => m);
    this.eps = options.eps ?? 1e-8;
    this.best = this.mode === "min" ? Infinity : -Infinity;
  }

  /**
   * Whether a metric improves on the best so far.
   *
   * @param a The metric.
   * @returns True when it does.
   */
  private better(a: number): boolean {
    const b = this.best;
    if (this.mode === "min") {
      return this.thresholdMode === "rel" ? a < b * (1 - this.threshold) : a < b - this.threshold;
    }
    return this.thresholdMode === "rel" ? a > b * (1 + this.threshold) : a > b + this.threshold;
  }

  /**
   * Records an epoch's metric and lowers the learning rates when it has not
   * improved for `patience` epochs.
   *
   * @param metric The monitored value (e.g. validation loss).
   */
  step(metric: number): void {
    this.lastEpoch++;
    if (this.better(metric)) {
      this.best = metric;
      this.badEpochs = 0;
    } else this.badEpochs++;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.badEpochs = 0;
    }
    if (this.badEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const old = g.options.lr as number;
        const next = Math.max(old * this.factor, this.minLrs[i]);
        if (old - next > this.eps) g.options.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.badEpochs = 0;
    }
  }

  /**
   * The current learning rates.
   *
   * @returns One per group.
   */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.options.lr as number);
  }

  /**
   * The schedule's state.
   *
   * @returns Counters and the best value so far.
   */
  stateDict(): SchedulerState {
    return {
      lastEpoch: this.lastEpoch,
      baseLrs: this.getLastLr(),
      best: this.best,
      badEpochs: this.badEpochs,
      cooldownCounter: this.cooldownCounter,
    };
  }

  /**
   * Restores a state.
   *
   * @param sd The state.
   */
  loadStateDict(sd: SchedulerState): void {
    this.lastEpoch = sd.lastEpoch;
    this.best = sd.best as number;
    this.badEpochs = sd.badEpochs as number;
    this.cooldownCounter = sd.cooldownCounter as number;
    this.optimizer.paramGroups.forEach((g, i) => (g.options.lr = sd.baseLrs[i]));
  }
}
