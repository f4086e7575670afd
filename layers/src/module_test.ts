import assert from "node:assert/strict";
import { ones, ShapeError, type Tensor, tensor, zeros } from "@dendrite/tensor";
import { assertClose } from "@dendrite/tensor/testing";
import {
  Buffer,
  Module,
  ModuleDict,
  ModuleList,
  Parameter,
  Sequential,
  StateDictError,
} from "../mod.ts";
import { checkInput } from "./module.ts";

class Affine extends Module {
  weight: Parameter;
  bias: Parameter;
  runningMean = new Buffer(zeros([2]));
  constructor() {
    super();
    this.weight = new Parameter(tensor([[1, 2], [3, 4]]));
    this.bias = new Parameter(tensor([0.5, -0.5]));
  }
  forward(x: Tensor): Tensor {
    checkInput("Affine(2, 2)", x, "the last axis must be 2", x.shape[x.ndim - 1] === 2);
    return x.matmul(this.weight.transpose()).add(this.bias);
  }
}

class Net extends Module {
  encoder = new Sequential(new Affine(), new Affine());
  heads = new ModuleList([new Affine()]);
  named = new ModuleDict({ cls: new Affine() });
  forward(x: Tensor): Tensor {
    return this.named.get("cls")!.call(this.heads[0].call(this.encoder.call(x)));
  }
}

Deno.test("Module names parameters and buffers like PyTorch", () => {
  const net = new Net();
  assert.deepEqual(net.namedParameters().map(([n]) => n), [
    "encoder.0.weight",
    "encoder.0.bias",
    "encoder.1.weight",
    "encoder.1.bias",
    "heads.0.weight",
    "heads.0.bias",
    "named.cls.weight",
    "named.cls.bias",
  ]);
  assert.deepEqual(net.namedBuffers().map(([n]) => n), [
    "encoder.0.runningMean",
    "encoder.1.runningMean",
    "heads.0.runningMean",
    "named.cls.runningMean",
  ]);
  assert.equal(net.numParameters(), 24);
  assert.equal(net.stateDict().size, 12);
  assert.equal(net.modules().length, 8);
});

Deno.test("Module train/eval, zeroGrad and apply reach every descendant", () => {
  const net = new Net();
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.train();
  assert.ok(net.modules().every((m) => m.training));
  const y = net.call(ones([3, 2]));
  y.sum().backward();
  assert.ok(net.parameters().every((p) => p.grad !== null));
  net.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === null));
  let count = 0;
  net.apply(() => count++);
  assert.equal(count, 8);
});

Deno.test("Module.loadStateDict copies values and rejects bad dicts whole", () => {
  const a = new Net(), b = new Net();
  for (const p of a.parameters()) p.requiresGrad = false;
  a.encoder[0].parameters()[0].copy_(tensor([[9, 9], [9, 9]]));
  b.loadStateDict(a.stateDict());
  assertClose(b.namedParameters()[0][1], [[9, 9], [9, 9]]);
  const bad = new Map(a.stateDict());
  bad.delete("encoder.0.bias");
  bad.set("encoder.1.weight", zeros([3, 2]));
  bad.set("extra", zeros([1]));
  const before = b.namedParameters()[2][1].dataSync().slice();
  assert.throws(() => b.loadStateDict(bad), (e: Error) => {
    assert.ok(e instanceof StateDictError);
    assert.deepEqual(e.problems, [
      'Missing key "encoder.0.bias"',
      'Unexpected key "extra"',
      '"encoder.1.weight" must have shape [2, 2]: got [3, 2]',
    ]);
    return true;
  });
  assertClose(b.namedParameters()[2][1].dataSync(), before);
  const res = b.loadStateDict(new Map([["encoder.0.bias", zeros([2])]]), { strict: false });
  assert.equal(res.missingKeys.length, 11);
});

Deno.test("Module forward hooks see and may replace outputs", () => {
  const m = new Affine();
  const seen: number[][] = [];
  const remove = m.registerForwardHook((_m, _in, out) => {
    seen.push([...(out as Tensor).shape]);
    return (out as Tensor).mul(0);
  });
  assertClose(m.call(ones([1, 2])), [[0, 0]]);
  remove();
  assertClose(m.call(ones([1, 2])), [[3.5, 6.5]]);
  assert.deepEqual(seen, [[1, 2]]);
});

Deno.test("Module errors name the layer and the input shape", () => {
  assert.throws(
    () => new Affine().call(ones([4, 3])),
    (e: Error) =>
      e instanceof ShapeError &&
      e.message === "Cannot apply Affine(2, 2) as the last axis must be 2: input shape is [4, 3]",
  );
});

Deno.test("Module toString prints a tree and summary a table", () => {
  const s = new Net().toString();
  assert.ok(s.startsWith("Net(\n  (encoder): Sequential(\n    (0): Affine()"), s);
  const table = new Net().summary([5, 2]);
  assert.match(table, /Total params: 24/);
  assert.match(table, /encoder\.0 \(Affine\)\s+\[5, 2\]\s+6/);
});
