/**
 * `deno bench` for the CPU backend: matmul (256, 512, 1024), conv2d
 * (64x1x28x28 -> 32 and 64x32x14x14 -> 64, 3x3, forward and forward+backward)
 * and an MLP training step (784-256-128-10, Adam), each with native BLAS and
 * with the TypeScript kernels (`DENDRITE_BLAS` is not needed: the bench
 * switches with `setBlasEnabled`).
 *
 * Run: `deno bench -A tensor/bench/` (or `deno task bench`).
 *
 * @module
 */
import * as T from "@dendrite/tensor";
import "@dendrite/autograd";

const rng = new T.Generator(1234);

function readBack(t: T.Tensor): number {
  return Number(t.reshape([-1]).slice([[0, 1]]).dataSync()[0]);
}

for (const blas of [true, false]) {
  const tag = blas ? "blas" : "ts";
  for (const n of [256, 512, 1024]) {
    const a = T.randn([n, n], { rng }), b = T.randn([n, n], { rng });
    Deno.bench(`matmul ${n} [${tag}]`, { group: `matmul ${n}`, baseline: blas }, () => {
      T.setBlasEnabled(blas);
      readBack(T.matmul(a, b));
      T.setBlasEnabled(true);
    });
  }
  for (const [cin, cout, hw] of [[1, 32, 28], [32, 64, 14]]) {
    const x = T.randn([64, cin, hw, hw], { rng }).requiresGrad_();
    const w = T.randn([cout, cin, 3, 3], { rng }).mul(0.1).requiresGrad_();
    const dy = T.randn([64, cout, hw, hw], { rng });
    Deno.bench(`conv2d ${cin}->${cout} ${hw}x${hw} forward [${tag}]`, {
      group: `conv ${cin}->${cout} fwd`,
      baseline: blas,
    }, () => {
      T.setBlasEnabled(blas);
      readBack(T.conv2d(x.detach(), w.detach(), { padding: 1 }));
      T.setBlasEnabled(true);
    });
    Deno.bench(`conv2d ${cin}->${cout} ${hw}x${hw} forward+backward [${tag}]`, {
      group: `conv ${cin}->${cout} fwdbwd`,
      baseline: blas,
    }, () => {
      T.setBlasEnabled(blas);
      x.grad = null, w.grad = null;
      T.conv2d(x, w, { padding: 1 }).backward(dy);
      readBack(w.grad!);
      T.setBlasEnabled(true);
    });
  }
  {
    const sizes = [784, 256, 128, 10];
    const ws = sizes.slice(1).map((o, i) =>
      T.uniform(-1, 1, [o, sizes[i]], { rng }).mul(1 / Math.sqrt(sizes[i])).requiresGrad_()
    );
    const bs = sizes.slice(1).map((o) => T.zeros([o], { requiresGrad: true }));
    const params = [...ws, ...bs];
    const m = params.map((p) => T.zerosLike(p)), v = params.map((p) => T.zerosLike(p));
    const x = T.randn([128, 784], { rng });
    const y = T.oneHot(T.randint(0, 10, [128], { rng }), 10).cast("float32");
    let step = 0;
    Deno.bench(`MLP 784-256-128-10 Adam step, batch 128 [${tag}]`, {
      group: "mlp step",
      baseline: blas,
    }, () => {
      T.setBlasEnabled(blas);
      let h = x;
      for (let i = 0; i < 3; i++) {
        h = T.linear(h, ws[i], bs[i]);
        if (i < 2) h = T.relu(h);
      }
      const loss = T.logSoftmax(h, 1).mul(y).sum().div(-128);
      for (const p of params) p.grad = null;
      loss.backward();
      // Adam written with tensor ops (the optimizers package has a fused kernel).
      step++;
      const b1 = 0.9, b2 = 0.999, lr = 1e-3;
      const prev = T.setGradEnabled(false);
      params.forEach((p, i) => {
        const g = p.grad!;
        m[i].mul_(b1).add_(g.mul(1 - b1));
        v[i].mul_(b2).add_(g.square().mul(1 - b2));
        const mh = m[i].div(1 - b1 ** step), vh = v[i].div(1 - b2 ** step);
        p.sub_(mh.div(vh.sqrt().add(1e-8)).mul(lr));
      });
      T.setGradEnabled(prev);
      readBack(loss);
      T.setBlasEnabled(true);
    });
  }
}
