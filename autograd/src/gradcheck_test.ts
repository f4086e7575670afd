import { matmul, mul, record, type Tensor, tensor } from "@dendrite/tensor";
import { assertThrowsMessage, testOnBackends } from "@dendrite/tensor/testing";
import { gradcheck, gradgradcheck, noGrad } from "@dendrite/autograd";
import assert from "node:assert/strict";

/** y = 2x, with a gradient rule that claims `2·factor·dy`. */
function scaled(x: Tensor, factor: number): Tensor {
  return record("Scaled", mul(x.detach(), 2), [x], (dy) => [mul(dy, 2 * factor)]);
}

/** y = a·b element-wise, with b's gradient wrong at flat index 3 only. */
function badAt3(a: Tensor, b: Tensor): Tensor {
  const mask = tensor([[1, 1], [1, 1.5]]);
  return record(
    "BadAt3",
    mul(a.detach(), b.detach()),
    [a, b],
    (dy) => [mul(dy, b.detach()), mul(mul(dy, a.detach()), mask)],
  );
}

/** y = x², whose gradient rule is right but not differentiable (built from a detached x). */
function squareFirstOrderOnly(x: Tensor): Tensor {
  return record(
    "SquareFO",
    mul(x.detach(), x.detach()),
    [x],
    (dy) => [mul(mul(dy, x.detach()), 2)],
  );
}

testOnBackends("gradcheck passes on correct gradients", () => {
  const a = tensor([[0.5, -1, 2], [1.5, 0.25, -0.75]], { requiresGrad: true });
  const b = tensor([[1, 2], [-1, 0.5], [0.3, -0.2]], { requiresGrad: true });
  assert.equal(gradcheck((a, b) => matmul(a, b).tanh(), [a, b]), true);
  const s = tensor([0.7], { requiresGrad: true });
  assert.equal(gradcheck((a, s) => a.mul(s).sin(), [a, s]), true);
  // A custom op whose rule is right passes too.
  assert.equal(gradcheck((x) => scaled(x, 1), [tensor([1, -2], { requiresGrad: true })]), true);
});

testOnBackends("gradcheck throws on a wrong gradient, naming the input and index", () => {
  const x = tensor([1, -2, 3], { requiresGrad: true });
  assertThrowsMessage(
    () => gradcheck((x) => scaled(x, 1.5), [x]),
    Error,
    /^gradcheck\(\) failed for input 0 \(shape \[3\]\) at flat index 0: analytic -?[\d.e-]+, numeric -?[\d.e-]+ \(atol 0\.001, rtol 0\.01\)$/,
  );
  const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const b = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
  assertThrowsMessage(
    () => gradcheck(badAt3, [a, b]),
    Error,
    /^gradcheck\(\) failed for input 1 \(shape \[2, 2\]\) at flat index 3: /,
  );
});

testOnBackends("gradcheck skips inputs that do not require grad", () => {
  const a = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const b = tensor([[0.5, -1], [2, 0.25]]); // b's wrong gradient is not checked
  assert.equal(gradcheck(badAt3, [a, b]), true);
  assertThrowsMessage(
    () => gradcheck((x) => x.mul(2), [tensor([1, 2])]),
    Error,
    "Cannot run gradcheck(): none of the 1 inputs requires grad; mark the ones to check with requiresGrad",
  );
});

testOnBackends("gradcheck honours atol and rtol", () => {
  const x = tensor([1, -2, 3], { requiresGrad: true });
  // Analytic 2.1·r versus numeric 2·r: off by 5 %.
  const f = (x: Tensor) => scaled(x, 1.05);
  assert.throws(() => gradcheck(f, [x]), /gradcheck\(\) failed/);
  assert.equal(gradcheck(f, [x], { rtol: 0.06 }), true);
  assert.throws(() => gradcheck(f, [x], { rtol: 0.04, atol: 0 }), /rtol 0\.04/);
  assert.equal(gradcheck(f, [x], { rtol: 0, atol: 0.2 }), true);
  assert.throws(() => gradcheck(f, [x], { rtol: 0, atol: 0.01 }), /atol 0\.01, rtol 0\)/);
});

testOnBackends("gradcheck honours eps", () => {
  // Central differences of x³ at 1 give 3 + eps²: a large step is visibly off.
  const x = tensor([1], { requiresGrad: true });
  const f = (x: Tensor) => x.pow(3);
  assert.equal(gradcheck(f, [x]), true);
  assertThrowsMessage(
    () => gradcheck(f, [x], { eps: 0.25 }),
    Error,
    /^gradcheck\(\) failed for input 0 \(shape \[1\]\) at flat index 0: analytic -?[\d.]+, numeric -?[\d.e-]+/,
  );
  // The numeric value is r·(3 + eps²), analytic r·3: their ratio shows the step used.
  let message = "";
  try {
    gradcheck(f, [x], { eps: 0.25 });
  } catch (e) {
    message = (e as Error).message;
  }
  const m = /analytic (\S+), numeric (\S+)/.exec(message)!;
  assert.ok(Math.abs(Number(m[2]) / Number(m[1]) - (3 + 0.0625) / 3) < 1e-4);
  assertThrowsMessage(
    () => gradcheck(f, [x], { eps: 0 }),
    RangeError,
    "Cannot run gradcheck() with eps 0: expected a positive finite number",
  );
  assertThrowsMessage(
    () => gradcheck(f, [x], { atol: -1 }),
    RangeError,
    "Cannot run gradcheck() with atol -1: expected a non-negative finite number",
  );
});

testOnBackends("gradcheck works inside noGrad", () => {
  const x = tensor([0.5, 1], { requiresGrad: true });
  assert.equal(noGrad(() => gradcheck((x) => x.exp(), [x])), true);
  assert.throws(() => noGrad(() => gradcheck((x) => scaled(x, 2), [x])), /failed for input 0/);
});

testOnBackends("gradgradcheck passes on twice-differentiable ops", () => {
  const x = tensor([0.5, -1.5, 2], { requiresGrad: true });
  const y = tensor([1, 0.3, -0.7], { requiresGrad: true });
  assert.equal(gradgradcheck((x, y) => x.sin().mul(y).mul(x), [x, y]), true);
  assert.equal(gradgradcheck((x) => x.pow(3), [x]), true);
});

testOnBackends("gradgradcheck throws when the gradient rule is not differentiable", () => {
  const x = tensor([0.5, -1.5, 2], { requiresGrad: true });
  // First order is right, so gradcheck passes ...
  assert.equal(gradcheck(squareFirstOrderOnly, [x]), true);
  // ... but the second derivative seen by autograd is 0 instead of 2.
  assertThrowsMessage(
    () => gradgradcheck(squareFirstOrderOnly, [x]),
    Error,
    /^gradgradcheck\(\) failed for input 0 \(shape \[3\]\) at flat index 0: analytic 0, numeric /,
  );
  assertThrowsMessage(
    () => gradgradcheck((x) => x.mul(2), [tensor([1])]),
    Error,
    "Cannot run gradgradcheck(): none of the 1 inputs requires grad; mark the ones to check with requiresGrad",
  );
});
