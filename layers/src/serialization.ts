/**
 * Weights on disk in the safetensors format with PyTorch key names, so a
 * `state_dict` saved by PyTorch's `safetensors` loads into the same Dendrite
 * model and back.
 *
 * @module
 */
import { decodeSafetensors, encodeSafetensors, type Tensor } from "./deps.ts";
import { type LoadOptions, type LoadResult, Module } from "./module.ts";

/**
 * Saves a module's state dict (or any named tensors) as safetensors. With a
 * path the file is written; the bytes are returned either way.
 *
 * @param path A file path, or null to only return the bytes.
 * @param source A module or a state dict.
 * @param options `metadata` strings stored in the header.
 * @returns The file contents.
 * @example
 * ```ts
 * import { Linear, load, save } from "@dendrite/layers";
 * const bytes = await save(null, new Linear(3, 2));
 * console.assert([...(await load(bytes)).keys()].join() === "bias,weight");
 * ```
 */
export async function save(
  path: string | URL | null,
  source: Module | Map<string, Tensor> | Record<string, Tensor>,
  options: { metadata?: Record<string, string> } = {},
): Promise<Uint8Array> {
  const sd = source instanceof Module ? source.stateDict() : source;
  // Read values from any backend (WebGPU reads are asynchronous).
  const host = new Map<string, Tensor>();
  for (const [k, v] of sd instanceof Map ? sd : Object.entries(sd)) host.set(k, await v.to("cpu"));
  const bytes = encodeSafetensors(host, { format: "pt", ...options.metadata });
  if (path !== null) await Deno.writeFile(path, bytes);
  return bytes;
}

/**
 * Loads named tensors from a safetensors file or its bytes. Malformed or
 * truncated data throws before any tensor is returned.
 *
 * @param source A file path or the file contents.
 * @param options `backend` for the tensors.
 * @returns Tensors by name.
 * @example
 * ```ts
 * import { load, save } from "@dendrite/layers";
 * import { tensor } from "@dendrite/tensor";
 * const sd = await load(await save(null, { w: tensor([1, 2]) }));
 * console.assert(sd.get("w")!.dataSync().join() === "1,2");
 * ```
 */
export async function load(
  source: string | URL | Uint8Array,
  options: { backend?: string } = {},
): Promise<Map<string, Tensor>> {
  const bytes = source instanceof Uint8Array ? source : await Deno.readFile(source);
  return decodeSafetensors(bytes, options).tensors;
}

/**
 * Loads a safetensors file into a module: all problems (missing or
 * unexpected keys, shapes, dtypes) are reported together and the module is
 * left unchanged unless everything fits.
 *
 * @param module The module.
 * @param source A file path or the file contents.
 * @param options `strict` (default true).
 * @returns Missing and unexpected keys.
 * @example
 * ```ts
 * import { Linear, loadInto, save } from "@dendrite/layers";
 * const a = new Linear(3, 2), b = new Linear(3, 2);
 * await loadInto(b, await save(null, a));
 * console.assert(b.weight.dataSync().join() === a.weight.dataSync().join());
 * ```
 */
export async function loadInto(
  module: Module,
  source: string | URL | Uint8Array,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const sd = await load(source, { backend: module.parameters()[0]?.backend.name });
  return module.loadStateDict(sd, options);
}
