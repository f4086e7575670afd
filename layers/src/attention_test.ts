// Attention against PyTorch 1.13 (layers/testdata/attention.json, made by
// _tools/fixtures/gen_attention.py): scaledDotProductAttention with every
// mask kind, and MultiheadAttention in each configuration with PyTorch's
// weights loaded, on the CPU and (where an adapter exists) on WebGPU:
// state-dict names, outputs, attention weights and all gradients.
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

interface SdpaCase {
  q: FixtureTensor;
  k: FixtureTensor;
  v: FixtureTensor;
  mask: FixtureTensor | null;
  isCausal: boolean;
  scale: number | null;
  output: FixtureTensor;
  r: FixtureTensor;
  grads: FixtureTensor[];
}
interface MhaCase {
  embedDim: number;
  numHeads: number;
  options: Record<string, number | boolean>;
  call: Record<string, FixtureTensor | boolean>;
  state: Record<string, FixtureTensor>;
  query: FixtureTensor;
  key: FixtureTensor;
  value: FixtureTensor;
  output: FixtureTensor;
  weights: FixtureTensor | null;
  r: FixtureTensor;
  r2: FixtureTensor | null;
  inputGrads: FixtureTensor[];
  paramGrads: Record<string, FixtureTensor>;
}
interface TransformerCase {
  kind: "encoderLayer" | "decoderLayer" | "encoder" | "decoder" | "transformer";
  config: Record<string, number | string | boolean>;
  call: Record<string, FixtureTensor>;
  state: Record<string, FixtureTensor>;
  inputs: FixtureTensor[];
  output: FixtureTensor;
  r: FixtureTensor;
  inputGrads: FixtureTensor[];
  paramGrads: Record<string, FixtureTensor>;
}
const fx = await loadFixtures<{
  sdpa: Record<string, SdpaCase>;
  mha: Record<string, MhaCase>;
  transformer: Record<string, TransformerCase>;
  squareSubsequentMask: FixtureTensor;
}>(new URL("../testdata/attention.json", import.meta.url));

/** The Dendrite module of a Transformer fixture, and how to call it. */
function transformerOf(c: TransformerCase): {
  m: L.Module;
  run: (xs: T.Tensor[], masks: Record<string, T.Tensor | undefined>) => T.Tensor;
} {
  const k = c.config;
  const o: L.TransformerLayerOptions = {
    dimFeedforward: k.dimFeedforward as number,
    dropout: 0,
    activation: k.activation as "relu" | "gelu" | undefined,
    layerNormEps: k.layerNormEps as number | undefined,
    batchFirst: k.batchFirst as boolean | undefined,
    normFirst: k.normFirst as boolean | undefined,
  };
  const d = k.dModel as number, h = k.nhead as number;
  switch (c.kind) {
    case "encoderLayer": {
      const m = new L.TransformerEncoderLayer(d, h, o);
      return {
        m,
        run: ([x], mk) =>
          m.call(x, { srcMask: mk.src_mask, srcKeyPaddingMask: mk.src_key_padding_mask }),
      };
    }
    case "decoderLayer": {
      const m = new L.TransformerDecoderLayer(d, h, o);
      return { m, run: ([t, mem], mk) => m.call(t, mem, decoderMasks(mk)) };
    }
    case "encoder": {
      const m = new L.TransformerEncoder(
        new L.TransformerEncoderLayer(d, h, o),
        k.numLayers as number,
        { norm: k.norm ? new L.LayerNorm(d) : undefined },
      );
      return { m, run: ([x], mk) => m.call(x, { mask: mk.mask }) };
    }
    case "decoder": {
      const m = new L.TransformerDecoder(
        new L.TransformerDecoderLayer(d, h, o),
        k.numLayers as number,
        { norm: k.norm ? new L.LayerNorm(d) : undefined },
      );
      return { m, run: ([t, mem], mk) => m.call(t, mem, decoderMasks(mk)) };
    }
    case "transformer": {
      const m = new L.Transformer({
        ...o,
        dModel: d,
        nhead: h,
        numEncoderLayers: k.numEncoderLayers as number,
        numDecoderLayers: k.numDecoderLayers as number,
      });
      return {
        m,
        run: ([src, tgt], mk) =>
          m.call(src, tgt, {
            ...decoderMasks(mk),
            srcMask: mk.src_mask,
            srcKeyPaddingMask: mk.src_key_padding_mask,
          }),
      };
    }
  }
}

function decoderMasks(mk: Record<string, T.Tensor | undefined>): L.DecoderMasks {
  return {
    tgtMask: mk.tgt_mask,
    memoryMask: mk.memory_mask,
    tgtKeyPaddingMask: mk.tgt_key_padding_mask,
    memoryKeyPaddingMask: mk.memory_key_padding_mask,
  };
}

const backends = ["cpu"];
if (await T.initWebGPU({ allowSoftware: true }).then(() => true, () => false)) {
  backends.push("webgpu");
}
const on = (f: FixtureTensor, backend: string) => fromFixture(f).to(backend);
const tol = { atol: 1e-4, rtol: 1e-4 }, gtol = { atol: 1e-4, rtol: 1e-3 };

for (const backend of backends) {
  for (const [name, c] of Object.entries(fx.sdpa)) {
    Deno.test(`scaledDotProductAttention ${name} matches PyTorch, gradients included [${backend}]`, async () => {
      const [q, k, v] = await Promise.all(
        [c.q, c.k, c.v].map(async (f) => (await on(f, backend)).requiresGrad_()),
      );
      const y = T.scaledDotProductAttention(q, k, v, {
        attnMask: c.mask ? await on(c.mask, backend) : undefined,
        isCausal: c.isCausal,
        scale: c.scale ?? undefined,
      });
      assert.equal(y.backend.name, backend);
      assertClose(await y.data(), fromFixture(c.output).dataSync(), tol);
      const gs = gradients(y.mul(await on(c.r, backend)).sum(), [q, k, v]);
      for (let i = 0; i < 3; i++) {
        assertClose(await gs[i].data(), fromFixture(c.grads[i]).dataSync(), gtol);
      }
    });
  }

  for (const [name, c] of Object.entries(fx.mha)) {
    Deno.test(`MultiheadAttention ${name} matches PyTorch: names, output, weights, gradients [${backend}]`, async () => {
      const o = c.options;
      const m = new L.MultiheadAttention(c.embedDim, c.numHeads, {
        kdim: o.kdim as number | undefined,
        vdim: o.vdim as number | undefined,
        bias: o.bias as boolean | undefined,
        addBiasKv: o.add_bias_kv as boolean | undefined,
        addZeroAttn: o.add_zero_attn as boolean | undefined,
        batchFirst: o.batch_first as boolean | undefined,
      });
      assert.deepEqual([...m.stateDict().keys()], Object.keys(c.state), "state dict keys");
      m.loadStateDict(new Map(Object.entries(c.state).map(([k, v]) => [k, fromFixture(v)])));
      await m.to(backend);
      const [q, k, v] = await Promise.all(
        [c.query, c.key, c.value].map(async (f) => (await on(f, backend)).requiresGrad_()),
      );
      const mask = async (key: string) =>
        c.call[key] === undefined ? undefined : await on(c.call[key] as FixtureTensor, backend);
      const [y, w] = m.call(q, k, v, {
        keyPaddingMask: await mask("key_padding_mask"),
        attnMask: await mask("attn_mask"),
        needWeights: c.call.need_weights as boolean | undefined,
        averageAttnWeights: c.call.average_attn_weights as boolean | undefined,
      }) as [T.Tensor, T.Tensor | null];
      assertClose(await y.data(), fromFixture(c.output).dataSync(), tol);
      assert.deepEqual(y.shape, c.output.shape);
      let loss = y.mul(await on(c.r, backend)).sum();
      if (c.weights) {
        assert.ok(w);
        assert.deepEqual(w.shape, c.weights.shape);
        assertClose(await w.data(), fromFixture(c.weights).dataSync(), tol);
        loss = loss.add(w.mul(await on(c.r2!, backend)).sum());
      } else assert.equal(w, null);
      const params = m.namedParameters();
      const gs = gradients(loss, [q, k, v, ...params.map(([, p]) => p)], { allowUnused: true });
      for (let i = 0; i < 3; i++) {
        assertClose(await gs[i].data(), fromFixture(c.inputGrads[i]).dataSync(), gtol);
      }
      assert.deepEqual(params.map(([pn]) => pn), Object.keys(c.paramGrads));
      for (const [i, [pn]] of params.entries()) {
        assertClose(await gs[3 + i].data(), fromFixture(c.paramGrads[pn]).dataSync(), gtol);
      }
    });
  }
}

for (const backend of backends) {
  for (const [name, c] of Object.entries(fx.transformer)) {
    Deno.test(`Transformer ${name} matches PyTorch: names, output, gradients [${backend}]`, async () => {
      const { m, run } = transformerOf(c);
      assert.deepEqual([...m.stateDict().keys()], Object.keys(c.state), "state dict keys");
      m.loadStateDict(new Map(Object.entries(c.state).map(([k, v]) => [k, fromFixture(v)])));
      await m.to(backend);
      const xs = await Promise.all(
        c.inputs.map(async (f) => (await on(f, backend)).requiresGrad_()),
      );
      const masks: Record<string, T.Tensor> = {};
      for (const [k, v] of Object.entries(c.call)) masks[k] = await on(v, backend);
      const y = run(xs, masks);
      assert.deepEqual(y.shape, c.output.shape);
      assertClose(await y.data(), fromFixture(c.output).dataSync(), tol);
      const params = m.namedParameters();
      assert.deepEqual(params.map(([n]) => n), Object.keys(c.paramGrads));
      const gs = gradients(y.mul(await on(c.r, backend)).sum(), [
        ...xs,
        ...params.map(([, p]) => p),
      ]);
      for (const [i, g] of c.inputGrads.entries()) {
        assertClose(await gs[i].data(), fromFixture(g).dataSync(), gtol);
      }
      for (const [i, [pn]] of params.entries()) {
        assertClose(await gs[xs.length + i].data(), fromFixture(c.paramGrads[pn]).dataSync(), gtol);
      }
    });
  }
}

Deno.test("Transformer: the causal mask, copies of the given layer, dropout only in training, bad options", () => {
  assert.deepEqual(
    [...L.Transformer.generateSquareSubsequentMask(4).dataSync()],
    [...fromFixture(fx.squareSubsequentMask).dataSync()],
  );
  const layer = new L.TransformerEncoderLayer(8, 2, {
    dimFeedforward: 16,
    rng: new T.Generator(1),
  });
  const enc = new L.TransformerEncoder(layer, 3);
  // Each copy starts from the given layer's weights, in memory of its own.
  for (const copy of enc.layers) {
    assert.notEqual(copy.linear1.weight, layer.linear1.weight);
    assert.deepEqual(copy.linear1.weight.dataSync(), layer.linear1.weight.dataSync());
  }
  const x = T.randn([5, 2, 8], { rng: new T.Generator(2) });
  const a = enc.call(x), b = enc.call(x);
  assert.notDeepEqual(a.dataSync(), b.dataSync(), "dropout 0.1 while training");
  enc.eval();
  assert.deepEqual(enc.call(x).dataSync(), enc.call(x).dataSync());
  const model = new L.Transformer({
    dModel: 8,
    nhead: 2,
    numEncoderLayers: 1,
    numDecoderLayers: 1,
  });
  assert.equal(model.encoder.layers[0].linear1.weight.shape.join(), "2048,8");
  assertThrowsMessage(
    () => new L.TransformerEncoder(layer, 0),
    RangeError,
    "Cannot create TransformerEncoder with numLayers 0: expected a positive integer",
  );
  assertThrowsMessage(
    () => new L.TransformerDecoderLayer(8, 2, { activation: "tanh" as "relu" }),
    RangeError,
    'Cannot create a Transformer layer with activation "tanh": expected "relu" or "gelu"',
  );
});

Deno.test("MultiheadAttention initialises like PyTorch, drops out only while training, and names bad input", () => {
  const m = new L.MultiheadAttention(64, 4, { rng: new T.Generator(1) });
  const bound = Math.sqrt(6 / (64 + 3 * 64));
  assert.ok(m.in_proj_weight!.dataSync().every((x) => Math.abs(x) <= bound));
  assert.ok(m.in_proj_bias!.dataSync().every((x) => x === 0));
  assert.ok(m.out_proj.bias!.dataSync().every((x) => x === 0));
  assert.ok(m.out_proj.weight.dataSync().every((x) => Math.abs(x) <= 1 / 8));
  assert.equal(
    m.toString(),
    "MultiheadAttention(embedDim=64, numHeads=4, dropout=0, batchFirst=false\n  (out_proj): Linear(inFeatures=64, outFeatures=64, bias=true)\n)",
  );
  const d = new L.MultiheadAttention(8, 2, { dropout: 0.5, rng: new T.Generator(2) });
  const x = T.randn([5, 3, 8], { rng: new T.Generator(3) });
  const [, w1] = d.call(x, x, x, { averageAttnWeights: false }) as [T.Tensor, T.Tensor];
  const wv = w1.dataSync();
  assert.ok(wv.some((p) => p === 0), "training drops weights");
  d.eval();
  const [, w2] = d.call(x, x, x) as [T.Tensor, T.Tensor];
  assertClose(w2.sum(-1), T.ones([3, 5]), { atol: 1e-5 });
  assertThrowsMessage(
    () => new L.MultiheadAttention(10, 3),
    RangeError,
    "Cannot create MultiheadAttention with embedDim 10 and numHeads 3: numHeads must divide embedDim",
  );
  assertThrowsMessage(
    () => d.call(x, x, T.randn([4, 3, 8])),
    T.ShapeError,
    "Cannot apply MultiheadAttention(8, 2) to query [5, 3, 8], key [5, 3, 8] and value [4, 3, 8]: expected [L, N, ·] inputs with 8, 8 and 8 features, keys and values of one length and one batch",
  );
  assertThrowsMessage(
    () => d.call(x, x, x, { attnMask: T.zeros([5, 4]) }),
    T.ShapeError,
    "Cannot apply MultiheadAttention(8, 2) with attnMask [5, 4]: expected [5, 5] or [6, 5, 5]",
  );
  assertThrowsMessage(
    () => d.call(x, x, x, { keyPaddingMask: T.zeros([5, 3]) }),
    T.ShapeError,
    "Cannot apply MultiheadAttention(8, 2) with keyPaddingMask [5, 3]: expected [3, 5]",
  );
});

Deno.test("scaledDotProductAttention names bad input and masks a fully masked row to NaN, as PyTorch", () => {
  const q = T.randn([2, 3, 4]), k = T.randn([2, 5, 4]), v = T.randn([2, 5, 6]);
  assert.deepEqual(T.scaledDotProductAttention(q, k, v).shape, [2, 3, 6]);
  assertThrowsMessage(
    () => T.scaledDotProductAttention(q, T.randn([2, 5, 3]), v),
    T.ShapeError,
    "Cannot apply scaledDotProductAttention() to query [2, 3, 4], key [2, 5, 3] and value [2, 5, 6]: expected query [..., L, E], key [..., S, E] and value [..., S, Ev]",
  );
  assertThrowsMessage(
    () => T.scaledDotProductAttention(q, k, v, { attnMask: T.ones([4, 5]).gt(0) }),
    T.ShapeError,
    "Cannot apply scaledDotProductAttention() with attnMask [4, 5]: expected a mask that broadcasts to the scores [2, 3, 5]",
  );
  assertThrowsMessage(
    () => T.scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: T.ones([3, 5]).gt(0) }),
    RangeError,
    "Cannot apply scaledDotProductAttention() with both attnMask and isCausal: pass one",
  );
  const none = T.zeros([3, 5]).gt(1);
  assert.ok(
    T.scaledDotProductAttention(q, k, v, { attnMask: none }).dataSync().every(Number.isNaN),
  );
  // Dropout on the weights: zero or scaled by 1/(1 − p), seeded.
  const a = T.scaledDotProductAttention(q, k, v, { dropoutP: 0.3, rng: new T.Generator(4) });
  const b = T.scaledDotProductAttention(q, k, v, { dropoutP: 0.3, rng: new T.Generator(4) });
  assert.deepEqual(a.dataSync(), b.dataSync());
  assert.notDeepEqual(a.dataSync(), T.scaledDotProductAttention(q, k, v).dataSync());
});
