/**
 * Finding dataset files on disk (explicit root, `$DENDRITE_DATA`, the user
 * cache, system packages) and downloading them with a checksum check.
 *
 * @module
 */
import { createHash } from "node:crypto";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env: treat as unset
  }
}

function join(...parts: string[]): string {
  return parts.join("/").replace(/\/+/g, "/");
}

/**
 * The per-user cache folder for a dataset: `$XDG_CACHE_HOME/dendrite/<name>`
 * or `~/.cache/dendrite/<name>` on Linux, `~/Library/Caches/dendrite/<name>`
 * on macOS, `%LOCALAPPDATA%/dendrite/<name>` on Windows.
 *
 * @param name The dataset folder name, e.g. "fashion-mnist".
 * @returns The folder path, or undefined when no home folder is known.
 * @example
 * ```ts
 * import { userCacheDir } from "@dendrite/data";
 * const dir = userCacheDir("mnist");
 * console.assert(dir === undefined || dir.endsWith("dendrite/mnist"));
 * ```
 */
export function userCacheDir(name: string): string | undefined {
  if (Deno.build.os === "windows") {
    const base = env("LOCALAPPDATA");
    return base ? join(base.replaceAll("\\", "/"), "dendrite", name) : undefined;
  }
  const home = env("HOME");
  if (Deno.build.os === "darwin") {
    return home ? join(home, "Library/Caches/dendrite", name) : undefined;
  }
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "dendrite", name);
  return home ? join(home, ".cache/dendrite", name) : undefined;
}

/** A folder searched for dataset files, and why it is on the list. */
export interface SearchPlace {
  /** The folder, or undefined when its variable is unset. */
  dir: string | undefined;
  /** Where the folder comes from, e.g. "root option", "$DENDRITE_DATA/mnist". */
  source: string;
}

/** Options for {@link datasetSearchPaths}. */
export interface SearchPathOptions {
  /** An explicit folder, searched first. */
  root?: string;
  /** System folders searched last, with a description each. */
  system?: readonly SearchPlace[];
}

/**
 * Lists the folders searched for a dataset, in order: the explicit `root`,
 * `$DENDRITE_DATA/<name>`, the user cache (see {@link userCacheDir}), then
 * system folders.
 *
 * @param name The dataset folder name, e.g. "fashion-mnist".
 * @param options `root`, `system`.
 * @returns The places, in search order.
 * @example
 * ```ts
 * import { datasetSearchPaths } from "@dendrite/data";
 * const places = datasetSearchPaths("mnist", { root: "/data/mnist" });
 * console.assert(places[0].dir === "/data/mnist" && places[1].source === "$DENDRITE_DATA/mnist");
 * ```
 */
export function datasetSearchPaths(name: string, options: SearchPathOptions = {}): SearchPlace[] {
  const places: SearchPlace[] = [];
  if (options.root !== undefined) places.push({ dir: options.root, source: "root option" });
  const dd = env("DENDRITE_DATA");
  places.push({ dir: dd ? join(dd, name) : undefined, source: `$DENDRITE_DATA/${name}` });
  places.push({ dir: userCacheDir(name), source: "user cache" });
  for (const s of options.system ?? []) places.push(s);
  return places;
}

function isFile(path: string): boolean | "denied" {
  try {
    return Deno.statSync(path).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      return "denied";
    }
    return false;
  }
}

/** The result of {@link findDatasetFiles}. */
export interface FoundFiles {
  /** The folder holding every file. */
  dir: string;
  /** The full path of each requested file (possibly with a `.gz` suffix). */
  paths: string[];
}

/**
 * Searches the places in order for a folder holding every listed file, each
 * either plain or gzipped (`<file>` or `<file>.gz`).
 *
 * @param places The folders to search (see {@link datasetSearchPaths}).
 * @param files The file names required.
 * @returns The first complete folder, or a report line per place explaining why it failed.
 * @example
 * ```ts
 * import { findDatasetFiles } from "@dendrite/data";
 * const r = findDatasetFiles([{ dir: "/nonexistent", source: "root option" }], ["a.bin"]);
 * console.assert("report" in r && r.report[0].includes("missing a.bin"));
 * ```
 */
export function findDatasetFiles(
  places: readonly SearchPlace[],
  files: readonly string[],
): FoundFiles | { report: string[] } {
  const report: string[] = [];
  for (const place of places) {
    if (place.dir === undefined) {
      report.push(`${place.source}: not set`);
      continue;
    }
    const paths: string[] = [];
    const missing: string[] = [];
    let denied = false;
    for (const f of files) {
      const plain = join(place.dir, f), gz = plain + ".gz";
      const a = isFile(plain), b = a === true ? false : isFile(gz);
      if (a === "denied" || b === "denied") denied = true;
      if (a === true) paths.push(plain);
      else if (b === true) paths.push(gz);
      else missing.push(`${f}[.gz]`);
    }
    if (missing.length === 0) return { dir: place.dir, paths };
    report.push(
      `${place.dir} (${place.source}): ${
        denied ? "no read permission (run with --allow-read)" : `missing ${missing.join(", ")}`
      }`,
    );
  }
  return { report };
}

/**
 * The MD5 digest of some bytes, as lowercase hex (dataset mirrors publish MD5s).
 *
 * @param bytes The data.
 * @returns 32 hex digits.
 * @example
 * ```ts
 * import { md5Hex } from "@dendrite/data";
 * console.assert(md5Hex(new TextEncoder().encode("abc")) === "900150983cd24fb0d6963f7d28e17f72");
 * ```
 */
export function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** Options for {@link downloadFile}. */
export interface DownloadOptions {
  /** The expected MD5 (hex); a mismatch throws and nothing is written. */
  md5?: string;
  /** Print a progress bar to stderr (default true). */
  progress?: boolean;
}

function mb(n: number): string {
  return (n / 1048576).toFixed(1);
}

/**
 * Downloads a URL to a file (creating its folder), with a progress bar on
 * stderr and an optional MD5 check; the file appears only once complete and
 * verified.
 *
 * @param url The address.
 * @param dest The destination path.
 * @param options `md5`, `progress`.
 * @returns The downloaded bytes.
 * @example
 * ```ts ignore
 * import { downloadFile } from "@dendrite/data";
 * await downloadFile("https://example.com/a.gz", "/tmp/a.gz", { md5: "..." });
 * ```
 */
export async function downloadFile(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status} ${res.statusText} for ${url}`);
  }
  const total = Number(res.headers.get("content-length") ?? 0);
  const chunks: Uint8Array[] = [];
  let got = 0;
  const show = options.progress ?? true;
  const enc = new TextEncoder();
  const file = url.slice(url.lastIndexOf("/") + 1);
  let lastDraw = 0;
  const draw = (done: boolean) => {
    if (!show) return;
    const now = Date.now();
    if (!done && now - lastDraw < 100) return;
    lastDraw = now;
    const frac = total > 0 ? Math.min(1, got / total) : 0;
    const width = 30, filled = Math.round(frac * width);
    const bar = total > 0
      ? `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${
        (frac * 100).toFixed(0).padStart(3)
      }%`
      : "";
    const line = `\r${file} ${bar} ${mb(got)}${total > 0 ? `/${mb(total)}` : ""} MB${
      done ? "\n" : ""
    }`;
    Deno.stderr.writeSync(enc.encode(line));
  };
  const reader = res.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    draw(false);
  }
  draw(true);
  const bytes = new Uint8Array(got);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.length;
  }
  if (options.md5 && md5Hex(bytes) !== options.md5.toLowerCase()) {
    throw new Error(
      `Checksum mismatch for ${url}: MD5 ${md5Hex(bytes)}, expected ${options.md5}`,
    );
  }
  const dir = dest.slice(0, dest.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
  const tmp = `${dest}.part`;
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, dest);
  return bytes;
}
