/**
 * Containers: `Sequential`, `ModuleList`, `ModuleDict`.
 *
 * @module
 */
import type { Tensor } from "./deps.ts";
import { Module } from "./module.ts";

/**
 * Runs modules one after another; children are named `"0"`, `"1"`, ...
 *
 * @example
 * ```ts
 * import { Linear, ReLU, Sequential } from "@dendrite/layers";
 * import { ones } from "@dendrite/tensor";
 * const net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * console.assert(net.call(ones([3, 4])).shape.join() === "3,2");
 * console.assert(net.namedParameters()[0][0] === "0.weight");
 * ```
 */
export class Sequential extends Module {
  /** Children by position. */
  [index: number]: Module;

  /**
   * Creates the container.
   *
   * @param modules The modules, in order.
   */
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => (this[i] = m));
  }

  /** Number of modules. */
  get length(): number {
    return this.children().length;
  }

  /**
   * Appends a module.
   *
   * @param m The module.
   * @returns This container.
   */
  append(m: Module): this {
    this[this.length] = m;
    return this;
  }

  /**
   * Feeds `x` through every module in order.
   *
   * @param x The input.
   * @returns The last module's output.
   */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.children()) y = m.call(y);
    return y;
  }
}

/**
 * Holds sub-modules in a list (named `"0"`, `"1"`, ...) without a forward of
 * its own.
 *
 * @example
 * ```ts
 * import { Linear, ModuleList } from "@dendrite/layers";
 * const layers = new ModuleList([new Linear(2, 2), new Linear(2, 2)]);
 * console.assert(layers.length === 2 && layers.parameters().length === 4);
 * ```
 */
export class ModuleList extends Module {
  /** Children by position. */
  [index: number]: Module;

  /**
   * Creates the list.
   *
   * @param modules Initial modules.
   */
  constructor(modules: Module[] = []) {
    super();
    modules.forEach((m, i) => (this[i] = m));
  }

  /** Number of modules. */
  get length(): number {
    return this.children().length;
  }

  /**
   * Appends a module.
   *
   * @param m The module.
   * @returns This list.
   */
  append(m: Module): this {
    this[this.length] = m;
    return this;
  }

  /** Iterates over the modules. */
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  /**
   * Not callable: a ModuleList only holds modules.
   *
   * @returns Never.
   */
  forward(): never {
    throw new TypeError("Cannot call a ModuleList: iterate over its modules instead");
  }
}

/**
 * Holds sub-modules by name (names become part of parameter names).
 *
 * @example
 * ```ts
 * import { Linear, ModuleDict } from "@dendrite/layers";
 * const heads = new ModuleDict({ cls: new Linear(4, 10), box: new Linear(4, 4) });
 * console.assert(heads.get("box")!.parameters().length === 2);
 * console.assert(heads.namedParameters()[0][0] === "cls.weight");
 * ```
 */
export class ModuleDict extends Module {
  /**
   * Creates the dict.
   *
   * @param modules Modules by name.
   */
  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }

  /**
   * Adds or replaces a module.
   *
   * @param key The name (must not shadow a method).
   * @param m The module.
   * @returns This dict.
   */
  set(key: string, m: Module): this {
    if (key in Module.prototype || key in ModuleDict.prototype || key === "training") {
      throw new RangeError(`Cannot use "${key}" as a ModuleDict key: it is a Module member name`);
    }
    (this as unknown as Record<string, Module>)[key] = m;
    return this;
  }

  /**
   * Looks a module up by name.
   *
   * @param key The name.
   * @returns The module or undefined.
   */
  get(key: string): Module | undefined {
    return this.namedChildren().find(([k]) => k === key)?.[1];
  }

  /**
   * The names, in insertion order.
   *
   * @returns The keys.
   */
  keys(): string[] {
    return this.namedChildren().map(([k]) => k);
  }

  /**
   * Not callable: a ModuleDict only holds modules.
   *
   * @returns Never.
   */
  forward(): never {
    throw new TypeError("Cannot call a ModuleDict: look its modules up instead");
  }
}
