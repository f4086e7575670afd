/**
 * The optimizer base class: PyTorch-style parameter groups, per-parameter
 * state, `step()`, `zeroGrad()` and a serialisable state.
 *
 * @module
 */
import { fmtShape, setGradEnabled, ShapeError, type Tensor } from "@dendrite/tensor";

/** Hyperparameters of one parameter group (optimizer-specific keys). */
export type Hyper = Record<string, number | boolean | number[]>;

/** A group of parameters sharing hyperparameters. */
export interface ParamGroup<H extends Hyper = Hyper> {
  /** The parameters. */
  params: Tensor[];
  /** The group's hyperparameters (`lr` and the optimizer's own keys). */
  options: H;
}

/** What the constructor accepts: a list of parameters or of groups with overrides. */
export type ParamsInput<H extends Hyper = Hyper> =
  | Tensor[]
  | { params: Tensor[]; options?: Partial<H> }[];

/** Per-parameter state: named tensors and numbers. */
export type ParamState = Record<string, Tensor | number>;

/** A serialisable optimizer state, like PyTorch's `state_dict()`. */
export interface OptimizerState {
  /** State per parameter index (counting through the groups in order). */
  state: Record<number, ParamState>;
  /** Each group's hyperparameters and the indices of its parameters. */
  paramGroups: { options: Hyper; params: number[] }[];
}

/**
 * Base class of all optimizers: subclasses implement `update(p, grad, state, options)`.
 *
 * @example
 * ```ts
 * import { SGD } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1, 2], { requiresGrad: true });
 * const opt = new SGD([w], { lr: 0.1 });
 * w.square().sum().backward();
 * opt.step();
 * console.assert(w.dataSync().join() === "0.800000011920929,1.600000023841858");
 * ```
 */
export abstract class Optimizer<H extends Hyper = Hyper> {
  /** The parameter groups. */
  readonly paramGroups: ParamGroup<H>[];
  /** Per-parameter state (momentum buffers, step counts, ...). */
  readonly state: Map<Tensor, ParamState> = new Map();

  /**
   * Creates the optimizer.
   *
   * @param params Parameters, or groups `{ params, options }` overriding the defaults.
   * @param defaults Default hyperparameters.
   */
  constructor(params: ParamsInput<H>, defaults: H) {
    const list = params as unknown[];
    if (list.length === 0) {
      throw new RangeError(`Cannot create ${this.constructor.name}: the parameter list is empty`);
    }
    const groups = (list[0] as { params?: unknown }).params !== undefined
      ? (params as { params: Tensor[]; options?: Partial<H> }[])
      : [{ params: params as Tensor[] }];
    const seen = new Set<Tensor>();
    this.paramGroups = groups.map((g) => {
      for (const p of g.params) {
        if (seen.has(p)) {
          throw new RangeError(
            `Cannot create ${this.constructor.name}: a parameter (shape ${
              fmtShape(p.shape)
            }) appears in two groups`,
          );
        }
        seen.add(p);
      }
      return {
        params: [...g.params],
        options: { ...defaults, ...(g as { options?: Partial<H> }).options } as H,
      };
    });
    for (const g of this.paramGroups) this.validate(g.options);
  }

  /**
   * Checks hyperparameters; subclasses throw RangeError for bad values.
   *
   * @param _options The group's hyperparameters.
   */
  protected validate(_options: H): void {}

  /**
   * Updates one parameter in place from its gradient.
   *
   * @param p The parameter.
   * @param grad Its gradient.
   * @param state Its state (mutable).
   * @param options The group's hyperparameters.
   */
  protected abstract update(p: Tensor, grad: Tensor, state: ParamState, options: H): void;

  /**
   * Applies one update to every parameter that has a gradient.
   *
   * @param closure Optional function re-evaluating the loss (returned).
   * @returns The closure's loss, if given.
   */
  step(closure?: () => Tensor): Tensor | undefined {
    const loss = closure?.();
    const prev = setGradEnabled(false);
    try {
      for (const g of this.paramGroups) {
        for (const p of g.params) {
          if (!p.grad) continue;
          if (p.grad.shape.join() !== p.shape.join()) {
            throw new ShapeError(
              `Cannot step ${this.constructor.name}: gradient shape ${
                fmtShape(p.grad.shape)
              } differs from parameter shape ${fmtShape(p.shape)}`,
            );
          }
          let s = this.state.get(p);
          if (!s) this.state.set(p, s = {});
          this.update(p, p.grad, s, g.options);
        }
      }
    } finally {
      setGradEnabled(prev);
    }
    return loss;
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /**
   * Adds a parameter group.
   *
   * @param group Parameters and hyperparameter overrides.
   */
  addParamGroup(group: { params: Tensor[]; options?: Partial<H> }): void {
    const defaults = this.paramGroups[0].options;
    const g = { params: [...group.params], options: { ...defaults, ...group.options } as H };
    this.validate(g.options);
    this.paramGroups.push(g);
  }

  /**
   * The optimizer's state (tensors are referenced, not copied).
   *
   * @returns State and groups, with parameters as indices.
   */
  stateDict(): OptimizerState {
    const state: Record<number, ParamState> = {};
    const paramGroups: { options: Hyper; params: number[] }[] = [];
    let i = 0;
    for (const g of this.paramGroups) {
      const idx: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s) state[i] = { ...s };
        idx.push(i++);
      }
      paramGroups.push({ options: { ...g.options }, params: idx });
    }
    return { state, paramGroups };
  }

  /**
   * Restores a state from `stateDict()` (tensors are copied).
   *
   * @param sd The state.
   */
  loadStateDict(sd: OptimizerState): void {
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(
        `Cannot load optimizer state: it has ${sd.paramGroups.length} parameter groups, the optimizer has ${this.paramGroups.length}`,
      );
    }
    const flat = this.paramGroups.flatMap((g) => g.params);
    sd.paramGroups.forEach((g, gi) => {
      if (g.params.length !== this.paramGroups[gi].params.length) {
        throw new RangeError(
          `Cannot load optimizer state: group ${gi} has ${g.params.length} parameters, expected ${
            this.paramGroups[gi].params.length
          }`,
        );
      }
    });
    for (const [k, s] of Object.entries(sd.state)) {
      const p = flat[Number(k)];
      for (const v of Object.values(s)) {
        if (typeof v !== "number" && v.shape.join() !== p.shape.join()) {
          throw new ShapeError(
            `Cannot load optimizer state for parameter ${k}: state shape ${
              fmtShape(v.shape)
            } differs from parameter shape ${fmtShape(p.shape)}`,
          );
        }
      }
    }
    sd.paramGroups.forEach((g, gi) => Object.assign(this.paramGroups[gi].options, g.options));
    this.state.clear();
    for (const [k, s] of Object.entries(sd.state)) {
      const copy: ParamState = {};
      for (const [name, v] of Object.entries(s)) copy[name] = typeof v === "number" ? v : v.add(0);
      this.state.set(flat[Number(k)], copy);
    }
  }
}

/**
 * Checks that a hyperparameter lies in a range.
 *
 * @param opt Optimizer name.
 * @param name Hyperparameter name.
 * @param v Its value.
 * @param lo Lower bound (inclusive).
 * @param hi Upper bound (exclusive unless `hiInclusive`).
 * @param hiInclusive Whether `hi` itself is allowed.
 */
export function checkRange(
  opt: string,
  name: string,
  v: number,
  lo: number,
  hi = Infinity,
  hiInclusive = false,
): void {
  const ok = v >= lo && (hiInclusive ? v <= hi : v < hi);
  if (!ok || Number.isNaN(v)) {
    throw new RangeError(
      `Cannot create ${opt} with ${name} = ${v}: expected a value in [${lo}, ${hi}${
        hiInclusive ? "]" : ")"
      }`,
    );
  }
}
