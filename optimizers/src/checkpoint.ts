/**
 * Training checkpoints: model weights, optimizer state, schedule state and
 * free-form metadata in one safetensors file, restored exactly so training
 * resumes where it stopped.
 *
 * @module
 */
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type Tensor,
} from "@dendrite/tensor";
import type { Optimizer, OptimizerState, ParamState } from "./optimizer.ts";
import type { SchedulerState } from "./schedulers.ts";

/** Anything with a state dict of tensors (a `Module`). */
export interface HasTensorState {
  /** Tensors by name. */
  stateDict(): Map<string, Tensor>;
  /** Restores tensors (all-or-nothing). */
  loadStateDict(sd: Map<string, Tensor>, options?: { strict?: boolean }): unknown;
}

/** Anything with a serialisable state (a learning-rate schedule). */
export interface HasState {
  /** The state. */
  stateDict(): SchedulerState;
  /** Restores the state. */
  loadStateDict(sd: SchedulerState): void;
}

/** What a checkpoint holds. */
export interface Checkpoint {
  /** The model. */
  model?: HasTensorState;
  /** The optimizer. */
  optimizer?: Optimizer;
  /** The learning-rate schedule. */
  scheduler?: HasState;
  /** JSON-serialisable extras (epoch, metrics, generator state, ...). */
  extra?: Record<string, unknown>;
}

/**
 * Writes a checkpoint (safetensors: `model.*` and `optimizer.state.*`
 * tensors, the rest as JSON metadata). With a path the file is written; the
 * bytes are returned either way.
 *
 * @param path A file path, or null.
 * @param ckpt Model, optimizer, scheduler, extras.
 * @returns The file contents.
 * @example
 * ```ts
 * import { Adam, loadCheckpoint, saveCheckpoint } from "@dendrite/optimizers";
 * import { tensor } from "@dendrite/tensor";
 * const w = tensor([1, 2], { requiresGrad: true });
 * const opt = new Adam([w]);
 * w.square().sum().backward();
 * opt.step();
 * const bytes = await saveCheckpoint(null, { optimizer: opt, extra: { epoch: 3 } });
 * const opt2 = new Adam([w]);
 * const { extra } = await loadCheckpoint(bytes, { optimizer: opt2 });
 * console.assert(extra.epoch === 3 && opt2.state.size === 1);
 * ```
 */
export async function saveCheckpoint(
  path: string | URL | null,
  ckpt: Checkpoint,
): Promise<Uint8Array> {
  const tensors = new Map<string, Tensor>();
  const meta: Record<string, string> = { format: "dendrite-checkpoint", version: "1" };
  if (ckpt.model) { for (const [k, v] of ckpt.model.stateDict()) tensors.set(`model.${k}`, v); }
  if (ckpt.optimizer) {
    const sd = ckpt.optimizer.stateDict();
    const numbers: Record<string, Record<string, number>> = {};
    for (const [idx, st] of Object.entries(sd.state)) {
      for (const [name, v] of Object.entries(st)) {
        if (typeof v === "number") (numbers[idx] ??= {})[name] = v;
        else tensors.set(`optimizer.state.${idx}.${name}`, v);
      }
    }
    meta.optimizer = JSON.stringify({ paramGroups: sd.paramGroups, numbers });
  }
  if (ckpt.scheduler) meta.scheduler = JSON.stringify(ckpt.scheduler.stateDict());
  if (ckpt.extra) meta.extra = JSON.stringify(ckpt.extra);
  for (const [k, v] of tensors) tensors.set(k, await v.to("cpu"));
  const bytes = encodeSafetensors(tensors, meta);
  if (path !== null) await Deno.writeFile(path, bytes);
  return bytes;
}

/**
 * Restores a checkpoint into the given objects. Everything is decoded and
 * validated before anything changes: a truncated file or a mismatch throws
 * and leaves model, optimizer and schedule as they were.
 *
 * @param source A file path or the bytes.
 * @param into The objects to restore (any subset).
 * @returns The extras saved with the checkpoint.
 */
export async function loadCheckpoint(
  source: string | URL | Uint8Array,
  into: Checkpoint,
): Promise<{ extra: Record<string, unknown> }> {
  const bytes = source instanceof Uint8Array ? source : await Deno.readFile(source);
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== "dendrite-checkpoint") {
    throw new SafetensorsError(
      'Cannot load checkpoint: the file is not a Dendrite checkpoint (metadata "format" missing)',
    );
  }
  let optState: OptimizerState | undefined;
  if (into.optimizer) {
    if (!metadata.optimizer) {
      throw new SafetensorsError("Cannot load checkpoint: it has no optimizer state");
    }
    const { paramGroups, numbers } = JSON.parse(metadata.optimizer) as {
      paramGroups: OptimizerState["paramGroups"];
      numbers: Record<string, Record<string, number>>;
    };
    const state: Record<number, ParamState> = {};
    for (const [k, v] of tensors) {
      const m = /^optimizer\.state\.(\d+)\.(.+)$/.exec(k);
      if (m) (state[Number(m[1])] ??= {})[m[2]] = v;
    }
    for (const [idx, nums] of Object.entries(numbers)) {
      Object.assign(state[Number(idx)] ??= {}, nums);
    }
    optState = { state, paramGroups };
  }
  if (into.scheduler && !metadata.scheduler) {
    throw new SafetensorsError("Cannot load checkpoint: it has no scheduler state");
  }
  // Keep a copy of the model so that a later failure leaves it unchanged.
  const backup = into.model
    ? new Map(
      [...into.model.stateDict()].map(([k, v]) => [k, v.add(0).cast(v.dtype)] as [string, Tensor]),
    )
    : undefined;
  try {
    if (into.model) {
      const sd = new Map<string, Tensor>();
      for (const [k, v] of tensors) if (k.startsWith("model.")) sd.set(k.slice(6), v);
      into.model.loadStateDict(sd);
    }
    if (into.optimizer && optState) into.optimizer.loadStateDict(optState);
    if (into.scheduler) {
      into.scheduler.loadStateDict(JSON.parse(metadata.scheduler) as SchedulerState);
    }
  } catch (e) {
    if (into.model && backup) into.model.loadStateDict(backup);
    throw e;
  }
  return { extra: metadata.extra ? JSON.parse(metadata.extra) : {} };
}
