import assert from "node:assert/strict";
import {
  decodeSafetensors,
  encodeSafetensors,
  initWebGPU,
  SafetensorsError,
  tensor,
  zeros,
} from "@dendrite/tensor";
import {
  assertClose,
  type FixtureTensor,
  fromFixture,
  loadFixtures,
} from "@dendrite/tensor/testing";
import * as L from "../mod.ts";

const dir = new URL("../testdata/", import.meta.url);

function torchCnn(): L.Sequential {
  return new L.Sequential(
    new L.Conv2d(1, 4, 3, { padding: 1 }),
    new L.BatchNorm2d(4),
    new L.ReLU(),
    new L.MaxPool2d(2),
    new L.Flatten(),
    new L.Linear(4 * 4 * 4, 3),
  );
}

Deno.test("load reads a state dict saved by PyTorch and gives PyTorch's outputs", async () => {
  const fx = await loadFixtures<{ input: FixtureTensor; output: FixtureTensor }>(
    new URL("torch_cnn.json", dir),
  );
  const model = torchCnn();
  await L.loadInto(model, new URL("torch_cnn.safetensors", dir));
  model.eval();
  assertClose(model.call(fromFixture(fx.input)), fromFixture(fx.output), { atol: 1e-5 });
  assert.equal(model.stateDict().get("1.num_batches_tracked")!.itemSync(), 3);
});

Deno.test("save then load round-trips a model exactly, through bytes and files", async () => {
  const a = torchCnn(), b = torchCnn();
  const path = await Deno.makeTempFile({ suffix: ".safetensors" });
  const bytes = await L.save(path, a);
  assert.deepEqual(await Deno.readFile(path), bytes);
  await L.loadInto(b, path);
  for (const [k, v] of a.stateDict()) {
    assert.deepEqual(b.stateDict().get(k)!.dataSync(), v.dataSync(), k);
  }
  // Same bytes again: the encoding is deterministic.
  assert.deepEqual(await L.save(null, b), bytes);
});

Deno.test("a truncated or corrupt file throws and leaves the model unchanged", async () => {
  const good = await L.save(null, torchCnn());
  const m = torchCnn();
  const before = m.stateDict().get("0.weight")!.dataSync().slice();
  for (const cut of [4, 20, good.length - 1]) {
    await assert.rejects(() => L.loadInto(m, good.subarray(0, cut)), SafetensorsError);
  }
  const bad = good.slice();
  bad[8] = "x".charCodeAt(0);
  await assert.rejects(() => L.loadInto(m, bad), /the header is not valid JSON/);
  assert.deepEqual(m.stateDict().get("0.weight")!.dataSync(), before);
  assert.throws(
    () => decodeSafetensors(good.subarray(0, good.length - 4)),
    /ends at byte \d+ but the data section has \d+ bytes \(truncated file\?\)/,
  );
});

Deno.test("loading a mismatched state dict lists every problem", async () => {
  const other = new L.Sequential(new L.Linear(4, 3), new L.Linear(3, 1));
  const m = new L.Sequential(new L.Linear(4, 2));
  await assert.rejects(() => L.loadInto(m, encodeSafetensors(other.stateDict())), (e: Error) => {
    assert.ok(e instanceof L.StateDictError);
    assert.deepEqual(e.problems, [
      'Unexpected key "1.bias"',
      'Unexpected key "1.weight"',
      '"0.weight" must have shape [2, 4]: got [3, 4]',
      '"0.bias" must have shape [2]: got [3]',
    ]);
    return true;
  });
});

Deno.test("safetensors decodes the dtypes PyTorch writes", () => {
  const t = decodeSafetensors(
    encodeSafetensors({
      f: tensor([1.5]),
      i: tensor(new Int32Array([-3])),
      b: zeros([2], { dtype: "bool" }),
    }),
  );
  assert.deepEqual([...t.tensors.keys()], ["b", "f", "i"]);
  assert.equal(t.tensors.get("i")!.dtype, "int32");
  assert.equal(t.metadata.format, undefined);
});

Deno.test("save reads weights from WebGPU and loadInto writes them back there", async () => {
  const ok = await initWebGPU({ allowSoftware: true }).then(() => true, () => false);
  assert.ok(ok, "a WebGPU adapter (llvmpipe at least) is expected on this machine");
  const a = torchCnn(), b = torchCnn();
  await a.to("webgpu");
  await b.to("webgpu");
  await L.loadInto(b, await L.save(null, a));
  for (const [k, v] of a.stateDict()) {
    assert.deepEqual(await b.stateDict().get(k)!.data(), await v.data(), k);
  }
  assert.equal(b.parameters()[0].backend.name, "webgpu");
});
