import assert from "node:assert/strict";
import { DataLoader, type Dataset, Rng, TensorDataset } from "@dendrite/data";
import { arange, type Tensor } from "@dendrite/tensor";
import { assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";

/** A dataset whose items are their own indices (collated to int32 tensors). */
const ids = (n: number): Dataset<number> => ({ length: n, get: (i) => i });

async function epoch(loader: DataLoader<number, Tensor>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of loader) out.push([...b.dataSync()]);
  return out;
}

testOnBackends(
  "DataLoader visits every index once per epoch with the right batch shapes",
  async () => {
    const loader = new DataLoader(ids(10), { batchSize: 3, shuffle: true, seed: 4 });
    assert.equal(loader.length, 4);
    for (let e = 0; e < 3; e++) {
      const batches = await epoch(loader);
      assert.deepEqual(batches.map((b) => b.length), [3, 3, 3, 1]);
      assert.deepEqual(
        batches.flat().sort((a, b) => a - b),
        Array.from({ length: 10 }, (_, i) => i),
      );
    }
    assert.equal(loader.epoch, 3);
  },
);

testOnBackends("DataLoader dropLast skips the final partial batch", async () => {
  const loader = new DataLoader(ids(10), { batchSize: 3, dropLast: true });
  assert.equal(loader.length, 3);
  assert.deepEqual(await epoch(loader), [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
  const exact = new DataLoader(ids(6), { batchSize: 3, dropLast: true });
  assert.equal(exact.length, 2);
  assert.equal((await epoch(exact)).length, 2);
});

testOnBackends("DataLoader without shuffle keeps dataset order in every epoch", async () => {
  const loader = new DataLoader(ids(5), { batchSize: 2 });
  const a = await epoch(loader), b = await epoch(loader);
  assert.deepEqual(a, [[0, 1], [2, 3], [4]]);
  assert.deepEqual(b, a);
});

testOnBackends("DataLoader same seed gives the same order and epochs differ", async () => {
  const a = new DataLoader(ids(20), { batchSize: 20, shuffle: true, seed: 9 });
  const b = new DataLoader(ids(20), { batchSize: 20, shuffle: true, seed: 9 });
  const c = new DataLoader(ids(20), { batchSize: 20, shuffle: true, seed: 10 });
  const a0 = (await epoch(a))[0], a1 = (await epoch(a))[0];
  const b0 = (await epoch(b))[0], b1 = (await epoch(b))[0];
  assert.deepEqual(a0, b0);
  assert.deepEqual(a1, b1);
  assert.notDeepEqual(a0, a1);
  assert.notDeepEqual(a0, (await epoch(c))[0]);
  // Documented derivation: epoch e uses new Rng(seed, e).permutation(n).
  assert.deepEqual(a0, new Rng(9, 0).permutation(20));
  assert.deepEqual(a1, new Rng(9, 1).permutation(20));
  // setEpoch resumes an epoch exactly.
  b.setEpoch(1);
  assert.deepEqual((await epoch(b))[0], a1);
  assert.deepEqual(a.order(0), a0);
});

testOnBackends("DataLoader with an rng draws a new permutation from it each epoch", async () => {
  const a = new DataLoader(ids(12), { batchSize: 12, shuffle: true, rng: new Rng(3) });
  const b = new DataLoader(ids(12), { batchSize: 12, shuffle: true, rng: new Rng(3) });
  const a0 = (await epoch(a))[0], a1 = (await epoch(a))[0];
  assert.deepEqual(a0, (await epoch(b))[0]);
  assert.notDeepEqual(a0, a1);
});

testOnBackends("DataLoader uses the dataset's batch() and builds [N, ...] tensors", async () => {
  let batchCalls = 0, getCalls = 0;
  const base = new TensorDataset(arange(20).reshape([10, 2]), arange(10));
  const ds = {
    length: base.length,
    get: (i: number) => (getCalls++, base.get(i)),
    batch: (idx: readonly number[]) => (batchCalls++, base.batch(idx)),
  };
  const loader = new DataLoader(ds, { batchSize: 4 });
  const shapes: string[] = [];
  for await (const [x, y] of loader) shapes.push(`${x.shape}|${y.shape}`);
  assert.deepEqual(shapes, ["4,2|4", "4,2|4", "2,2|2"]);
  assert.equal(batchCalls, 3);
  assert.equal(getCalls, 0);
});

testOnBackends("DataLoader custom collate receives the items", async () => {
  const loader = new DataLoader(ids(5), {
    batchSize: 2,
    collate: (items: number[]) => items.join("+"),
  });
  const out: string[] = [];
  for await (const b of loader) out.push(b);
  assert.deepEqual(out, ["0+1", "2+3", "4"]);
});

testOnBackends("DataLoader prefetch prepares the next batch while the body awaits", async () => {
  for (const prefetch of [true, false]) {
    const built: number[] = [];
    const ds: Dataset<number> = {
      length: 6,
      get: (i) => i,
      batch(idx) {
        built.push(idx[0]);
        return arange(idx.length);
      },
    };
    const loader = new DataLoader(ds, { batchSize: 2, prefetch });
    const seen: number[][] = [];
    for await (const _ of loader) {
      await new Promise((r) => setTimeout(r, 5)); // "training" that yields to the event loop
      seen.push([...built]);
    }
    if (prefetch) assert.deepEqual(seen, [[0, 2], [0, 2, 4], [0, 2, 4]]);
    else assert.deepEqual(seen, [[0], [0, 2], [0, 2, 4]]);
  }
});

testOnBackends("DataLoader frees the prefetched batch when the loop breaks", async () => {
  const made: Tensor[] = [];
  const ds: Dataset<number> = {
    length: 6,
    get: (i) => i,
    batch(idx) {
      const t = arange(idx.length);
      made.push(t);
      return t;
    },
  };
  for await (const _ of new DataLoader(ds, { batchSize: 2 })) {
    await new Promise((r) => setTimeout(r, 5));
    break;
  }
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(made.length, 2);
  assert.equal(made[0].isDisposed, false); // the consumer's batch is the consumer's
  assert.equal(made[1].isDisposed, true);
});

testOnBackends("DataLoader surfaces errors from building a batch", async () => {
  const ds: Dataset<number> = {
    length: 4,
    get: (i) => {
      if (i === 3) throw new Error("bad item 3");
      return i;
    },
  };
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const b of new DataLoader(ds, { batchSize: 2 })) seen.push(b.size);
  }, { message: "bad item 3" });
  assert.deepEqual(seen, [2]);
});

testOnBackends("DataLoader backend option moves batches", async () => {
  const loader = new DataLoader(new TensorDataset(arange(4)), { batchSize: 2, backend: "cpu" });
  for await (const [x] of loader) assert.equal(x.backend.name, "cpu");
});

Deno.test("DataLoader rejects bad batch sizes, seeds and epochs", () => {
  assertThrowsMessage(
    () => new DataLoader(ids(3), { batchSize: 0 }),
    RangeError,
    "Cannot create a DataLoader with batchSize 0: expected a positive integer",
  );
  assertThrowsMessage(
    () => new DataLoader(ids(3), { seed: -2 }),
    RangeError,
    "Cannot create a DataLoader with seed -2: expected a non-negative integer below 2^53",
  );
  assertThrowsMessage(
    () => new DataLoader(ids(3)).setEpoch(-1),
    RangeError,
    "Cannot set DataLoader epoch to -1: expected a non-negative integer",
  );
});

testOnBackends("DataLoader over an empty dataset yields nothing", async () => {
  const loader = new DataLoader(ids(0), { batchSize: 4, shuffle: true, seed: 0 });
  assert.equal(loader.length, 0);
  assert.deepEqual(await epoch(loader), []);
});
