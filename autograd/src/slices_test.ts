// The sweep gathers the gradients of many slices of one tensor (split,
// chunk, per-step indexing) with one cat instead of a dense gradient per
// slice; these check it against gradcheck and against the dense rule.
import * as T from "@dendrite/tensor";
import { assertClose, testOnBackends } from "@dendrite/tensor/testing";
import { gradcheck, gradients } from "@dendrite/autograd";

/** The gradient of sum(f(x) · r) with every slice's gradient made dense and added (the old rule). */
function denseRule(x: T.Tensor, slices: [string, (s: T.Tensor) => T.Tensor][]): T.Tensor {
  let total = T.zeros(x.shape);
  for (const [spec, fn] of slices) {
    const v = x.detach().slice(spec).requiresGrad_();
    const [g] = gradients(fn(v).sum(), [v]);
    // Place g by building the same slice of a zeros tensor's gradient.
    const z = T.zeros(x.shape).requiresGrad_();
    const [placed] = gradients(z.slice(spec).mul(g).sum(), [z]);
    total = total.add(placed);
  }
  return total;
}

testOnBackends("gradients of many slices of one tensor are gathered, not added up densely", () => {
  const x = T.randn([6, 3, 4], { rng: new T.Generator(1) }).requiresGrad_();
  const w = T.randn([2, 3, 4], { rng: new T.Generator(2) });
  const cases: [string, [string, (s: T.Tensor) => T.Tensor][]][] = [
    // The pieces of split along axis 0, one left unused.
    ["split", [["0:2", (s) => s.mul(w)], ["4:6", (s) => s.tanh()]]],
    // Steps taken one by one with an index (the axis dropped), as a recurrence does.
    ["steps", [0, 2, 3, 5].map((t) => [`${t}`, (s: T.Tensor) => s.mul(t + 1)])],
    // Every chunk along the last axis.
    ["chunks", [[":, :, 0:1", (s) => s.square()], [":, :, 1:2", (s) => s.exp()], [
      ":, :, 2:4",
      (s) => s.mul(3),
    ]]],
    // Overlapping, strided and mixed-axis slices keep the dense rule.
    ["overlap", [["1:4", (s) => s], ["2:5", (s) => s.square().mul(0.1)]]],
    ["strided", [["::2", (s) => s.mul(2)], ["1::2", (s) => s.exp()]]],
    ["mixed", [["0:3", (s) => s], [":, 1:2", (s) => s.square()]]],
  ];
  for (const [name, slices] of cases) {
    const f = (x: T.Tensor) =>
      slices.map(([spec, fn]) => fn(x.slice(spec)).sum()).reduce((a, b) => a.add(b));
    try {
      gradcheck(f, [x]);
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
    const [g] = gradients(f(x), [x]);
    assertClose(g, denseRule(x, slices), { atol: 1e-6, rtol: 1e-6 });
    assert(g.shape.join() === "6,3,4", name);
  }
  // A slice gradient meeting an ordinary one, through a non-leaf, twice with retainGraph.
  const y = x.mul(2);
  const parts = T.split(y, 2, 0);
  const out = T.add(T.add(parts[0].sum(), parts[2].mul(3).sum()), y.square().sum());
  const [g1] = gradients(out, [x], { retainGraph: true });
  const [g2] = gradients(out, [x]);
  const ref = x.detach().mul(8).add(
    T.cat([T.full([2, 3, 4], 2), T.zeros([2, 3, 4]), T.full([2, 3, 4], 6)], 0),
  );
  assertClose(g1, ref, { atol: 1e-5 });
  assertClose(g2, ref, { atol: 1e-5 });
});

function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}
