/**
 * A progress bar for training loops: a live line on a terminal (batches,
 * images/s, running loss and accuracy, ETA), plain log lines otherwise.
 *
 * @module
 */

/** What one update reports. */
export interface ProgressStats {
  /** Running loss. */
  loss: number;
  /** Running accuracy in [0, 1]. */
  accuracy: number;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "--:--";
  const m = Math.floor(s / 60), r = Math.floor(s % 60);
  return `${m}:${String(r).padStart(2, "0")}`;
}

/**
 * A progress bar over `total` batches.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const p = new Progress("epoch 1", 10, 64, { tty: false, every: 5 });
 * for (let i = 1; i <= 10; i++) p.update(i, { loss: 1 / i, accuracy: i / 10 });
 * p.done();
 * ```
 */
export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #batchSize: number;
  readonly #tty: boolean;
  readonly #every: number;
  readonly #start = performance.now();
  readonly #enc = new TextEncoder();
  #last = "";

  /**
   * Creates the bar.
   *
   * @param label Shown first (e.g. "epoch 1/5").
   * @param total Number of batches.
   * @param batchSize Images per batch (for images/s).
   * @param options `tty` (default: stdout is a terminal), `every` (log-line interval when not a terminal).
   */
  constructor(
    label: string,
    total: number,
    batchSize: number,
    options: { tty?: boolean; every?: number } = {},
  ) {
    this.#label = label;
    this.#total = total;
    this.#batchSize = batchSize;
    this.#tty = options.tty ?? Deno.stdout.isTerminal();
    this.#every = options.every ?? Math.max(1, Math.floor(total / 10));
  }

  /**
   * Reports progress after batch `done`.
   *
   * @param done Batches finished.
   * @param stats Running loss and accuracy.
   */
  update(done: number, stats: ProgressStats): void {
    const elapsed = (performance.now() - this.#start) / 1000;
    const rate = done * this.#batchSize / Math.max(elapsed, 1e-9);
    const eta = (this.#total - done) * elapsed / Math.max(done, 1);
    const text = `${this.#label} ${done}/${this.#total} | ${rate.toFixed(0)} img/s | loss ${
      stats.loss.toFixed(4)
    } | acc ${(100 * stats.accuracy).toFixed(2)}% | ETA ${fmtTime(eta)}`;
    if (this.#tty) {
      const width = 24, filled = Math.round(width * done / this.#total);
      const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
      this.#last = `\r${bar} ${text}`;
      Deno.stdout.writeSync(this.#enc.encode(this.#last));
    } else if (done % this.#every === 0 || done === this.#total) {
      console.log(text);
    }
  }

  /** Ends the live line. */
  done(): void {
    if (this.#tty && this.#last) Deno.stdout.writeSync(this.#enc.encode("\n"));
  }
}
