import assert from "node:assert/strict";
import { gzipSync } from "fflate";
import { CIFAR10, DataLoader, readCifar10Batch } from "@dendrite/data";
import { assertClose, assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";

/** Two records: label 3 with pixel value (i % 251), label 8 with the red plane 255, others 0. */
function twoRecords(): Uint8Array {
  const b = new Uint8Array(2 * 3073);
  b[0] = 3;
  for (let i = 0; i < 3072; i++) b[1 + i] = i % 251;
  b[3073] = 8;
  b.fill(255, 3074, 3074 + 1024);
  return b;
}

Deno.test("readCifar10Batch parses a synthetic 2-record buffer", () => {
  const { images, labels, count } = readCifar10Batch(twoRecords());
  assert.equal(count, 2);
  assert.deepEqual([...labels], [3, 8]);
  assert.equal(images.length, 2 * 3072);
  assert.equal(images[1024], 1024 % 251); // record 0: first green pixel
  assert.equal(images[3072], 255); // record 1: first red pixel
  assert.equal(images[3072 + 1024], 0); // record 1: first green pixel
  assert.deepEqual([...readCifar10Batch(gzipSync(twoRecords())).labels], [3, 8]);
});

Deno.test("readCifar10Batch rejects partial records and bad labels naming the file", () => {
  assertThrowsMessage(
    () => readCifar10Batch(twoRecords().subarray(0, 5000), { name: "data_batch_1.bin" }),
    Error,
    "Cannot read CIFAR-10 batch data_batch_1.bin: 5000 bytes is not a positive multiple of the 3073-byte record (1 label + 3072 pixels)",
  );
  const bad = twoRecords();
  bad[3073] = 10;
  assertThrowsMessage(
    () => readCifar10Batch(bad, { name: "test_batch.bin" }),
    Error,
    "Cannot read CIFAR-10 batch test_batch.bin: record 1 has label 10, expected 0..9",
  );
});

testOnBackends("CIFAR10 loads train batches in order from root/cifar-10-batches-bin", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/cifar-10-batches-bin`;
  await Deno.mkdir(dir);
  for (let k = 1; k <= 5; k++) {
    const b = twoRecords();
    b[0] = k; // label of each file's first record identifies the file
    await Deno.writeFile(`${dir}/data_batch_${k}.bin`, b);
  }
  const ds = await CIFAR10.load({ root });
  assert.equal(ds.length, 10);
  assert.equal(ds.root, dir);
  assert.deepEqual([...ds.labels], [1, 8, 2, 8, 3, 8, 4, 8, 5, 8]);
  const [img, label] = ds.get(1);
  assert.deepEqual(img.shape, [3, 32, 32]);
  assert.equal(label, 8);
  const d = img.dataSync();
  assert.equal(d[0], 1);
  assert.equal(d[1024], 0);
  const [xb, yb] = ds.batch([0, 1]);
  assert.deepEqual(xb.shape, [2, 3, 32, 32]);
  assertClose(xb.slice([[1, 2]]).reshape([3, 32, 32]), img);
  assert.deepEqual([...yb.dataSync()], [1, 8]);
  let n = 0;
  for await (const [x] of new DataLoader(ds, { batchSize: 4 })) n += x.shape[0];
  assert.equal(n, 10);
});

Deno.test("CIFAR10 without files lists the places searched and the archive URL", async () => {
  const root = await Deno.makeTempDir();
  const err = await CIFAR10.load({ root, train: false }).catch((e) => e as Error);
  const msg = (err as Error).message;
  assert.ok(
    msg.startsWith(
      `Cannot find the CIFAR-10 test files (test_batch.bin). Looked in:\n  ${root} (root option): missing test_batch.bin[.gz]\n  ${root}/cifar-10-batches-bin (root option): missing test_batch.bin[.gz]\n`,
    ),
    msg,
  );
  assert.ok(msg.includes("$DENDRITE_DATA/cifar-10"));
  assert.ok(msg.includes("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"));
});
