// The recurrent layers against PyTorch 1.13 (layers/testdata/recurrent.json,
// made by _tools/fixtures/gen_recurrent.py): RNN, LSTM and GRU in several
// configurations and the three cells, with PyTorch's weights loaded, on the
// CPU and (where an adapter exists) on WebGPU: state-dict names, every
// output and the gradients of the inputs, initial states and parameters.
import assert from "node:assert/strict";
import * as T from "@dendrite/tensor";
import { gradients } from "@dendrite/autograd";
import {
  assertClose,
  assertThrowsMessage,
  type FixtureTensor,
  fromFixture,
  loadFixtures,
} from "@dendrite/tensor/testing";
import * as L from "../mod.ts";

interface Case {
  kind: "RNN" | "LSTM" | "GRU" | "RNNCell" | "LSTMCell" | "GRUCell";
  config: Record<string, number | string | boolean>;
  state: Record<string, FixtureTensor>;
  inputs: FixtureTensor[];
  outputs: FixtureTensor[];
  r: FixtureTensor[];
  inputGrads: FixtureTensor[];
  paramGrads: Record<string, FixtureTensor>;
}
const fx = await loadFixtures<Record<string, Case>>(
  new URL("../testdata/recurrent.json", import.meta.url),
);

const backends = ["cpu"];
if (await T.initWebGPU({ allowSoftware: true }).then(() => true, () => false)) {
  backends.push("webgpu");
}

/** The module of a case and its outputs as a flat list (PyTorch's order). */
function build(c: Case): { m: L.Module; run: (xs: T.Tensor[]) => T.Tensor[] } {
  const k = c.config;
  const o = {
    numLayers: k.numLayers as number | undefined,
    bias: k.bias as boolean | undefined,
    batchFirst: k.batchFirst as boolean | undefined,
    bidirectional: k.bidirectional as boolean | undefined,
  };
  const i = k.inputSize as number, h = k.hiddenSize as number;
  const nl = k.nonlinearity as "tanh" | "relu" | undefined;
  switch (c.kind) {
    case "RNN":
    case "GRU": {
      const m = c.kind === "RNN" ? new L.RNN(i, h, { ...o, nonlinearity: nl }) : new L.GRU(i, h, o);
      return { m, run: ([x, h0]) => m.call(x, h0) as T.Tensor[] };
    }
    case "LSTM": {
      const m = new L.LSTM(i, h, { ...o, projSize: k.projSize as number | undefined });
      return {
        m,
        run: ([x, h0, c0]) => {
          const [out, [hn, cn]] = m.call(x, h0 ? [h0, c0] : undefined);
          return [out, hn, cn];
        },
      };
    }
    case "RNNCell":
    case "GRUCell": {
      const m = c.kind === "RNNCell"
        ? new L.RNNCell(i, h, { bias: o.bias, nonlinearity: nl })
        : new L.GRUCell(i, h, { bias: o.bias });
      return { m, run: ([x, hx]) => [m.call(x, hx)] };
    }
    case "LSTMCell": {
      const m = new L.LSTMCell(i, h, { bias: o.bias });
      return { m, run: ([x, hx, cx]) => m.call(x, hx ? [hx, cx] : undefined) };
    }
  }
}

for (const backend of backends) {
  for (const [name, c] of Object.entries(fx)) {
    Deno.test(`${c.kind} ${name} matches PyTorch: names, outputs, gradients [${backend}]`, async () => {
      const { m, run } = build(c);
      assert.deepEqual([...m.stateDict().keys()], Object.keys(c.state), "state dict keys");
      m.loadStateDict(new Map(Object.entries(c.state).map(([k, v]) => [k, fromFixture(v)])));
      await m.to(backend);
      const xs = await Promise.all(
        c.inputs.map(async (f) => (await fromFixture(f).to(backend)).requiresGrad_()),
      );
      const outs = run(xs);
      assert.equal(outs.length, c.outputs.length);
      let loss: T.Tensor | undefined;
      for (const [k, y] of outs.entries()) {
        assert.deepEqual(y.shape, c.outputs[k].shape, `output ${k}`);
        assertClose(await y.data(), fromFixture(c.outputs[k]).dataSync(), {
          atol: 1e-4,
          rtol: 1e-4,
        });
        const term = y.mul(await fromFixture(c.r[k]).to(backend)).sum();
        loss = loss ? loss.add(term) : term;
      }
      const params = m.namedParameters();
      assert.deepEqual(params.map(([n]) => n), Object.keys(c.paramGrads));
      const gs = gradients(loss!, [...xs, ...params.map(([, p]) => p)]);
      const tol = { atol: 1e-4, rtol: 1e-3 };
      for (const [k, g] of c.inputGrads.entries()) {
        assertClose(await gs[k].data(), fromFixture(g).dataSync(), tol);
      }
      for (const [k, [pn]] of params.entries()) {
        assertClose(await gs[xs.length + k].data(), fromFixture(c.paramGrads[pn]).dataSync(), tol);
      }
    });
  }
}

Deno.test("recurrent layers initialise like PyTorch, drop out between layers only while training, and name bad input", () => {
  const lstm = new L.LSTM(3, 16, { numLayers: 2, dropout: 0.5, rng: new T.Generator(1) });
  assert.deepEqual(
    lstm.namedParameters().map(([n, p]) => `${n}:${p.shape.join("x")}`),
    [
      "weight_ih_l0:64x3",
      "weight_hh_l0:64x16",
      "bias_ih_l0:64",
      "bias_hh_l0:64",
      "weight_ih_l1:64x16",
      "weight_hh_l1:64x16",
      "bias_ih_l1:64",
      "bias_hh_l1:64",
    ],
  );
  assert.ok(lstm.parameters().every((p) => p.dataSync().every((v) => Math.abs(v) <= 0.25)));
  assert.equal(lstm.toString(), "LSTM(3, 16, numLayers=2, dropout=0.5)");
  const x = T.randn([4, 2, 3], { rng: new T.Generator(2) });
  const a = lstm.call(x)[0] as T.Tensor, b = lstm.call(x)[0] as T.Tensor;
  assert.notDeepEqual(a.dataSync(), b.dataSync(), "dropout between the layers while training");
  lstm.eval();
  assert.deepEqual(
    (lstm.call(x)[0] as T.Tensor).dataSync(),
    (lstm.call(x)[0] as T.Tensor).dataSync(),
  );
  const gru = new L.GRU(3, 4);
  assertThrowsMessage(
    () => gru.call(T.randn([4, 2, 5])),
    T.ShapeError,
    "Cannot apply GRU(3, 4) to input [4, 2, 5]: expected [L, N, 3] (batchFirst: [N, L, 3]; unbatched: [L, 3])",
  );
  assertThrowsMessage(
    () => gru.call(x, T.zeros([2, 2, 4])),
    T.ShapeError,
    "Cannot apply GRU(3, 4) with h0 [2, 2, 4]: expected [1, 2, 4]",
  );
  assertThrowsMessage(
    () => new L.LSTM(3, 4, { projSize: 4 }),
    RangeError,
    "Cannot create LSTM with projSize 4: expected an integer in [0, hiddenSize)",
  );
  assertThrowsMessage(
    () => new L.LSTMCell(3, 4).call(T.randn([2, 3]), [T.zeros([2, 4]), T.zeros([3, 4])]),
    T.ShapeError,
    "Cannot apply LSTMCell(3, 4) with cx [3, 4]: expected [2, 4]",
  );
});
