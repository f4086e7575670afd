#!/usr/bin/env python3
"""Random cross-check cases against PyTorch 1.13 (not fixtures: nothing here is committed output).

Draws random geometries, options and special values for the core's op
families, computes PyTorch's outputs and the gradients of sum(out * r) in
float64, and writes one JSON file per family; `run.ts` replays them on a
Dendrite backend and reports every disagreement.

    /usr/bin/python3 _tools/crosscheck/crosscheck.py --seed 1 --n 40 --out /tmp/cc
    deno run -A _tools/crosscheck/run.ts /tmp/cc --backend cpu    # or webgpu, webgpu-local

Cases where PyTorch disagrees with itself are not drawn (see README.md here):
max-pooling windows of only padding, same-size nearest/bicubic resizing with a
scale factor, one-channel nearest resizing, hardswish at exactly +-3.
"""
import argparse
import json
import math
import pathlib
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--n", type=int, default=30, help="rounds per family")
ap.add_argument("--out", required=True)
ap.add_argument("--families", default="nn,reduce,elementwise,loss,shape,norm,optim,extra")
opt = ap.parse_args()
R = random.Random(opt.seed)
torch.manual_seed(R.randrange(1 << 30))
ri, ch = R.randint, R.choice


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return {"shape": list(t.shape), "data": t.flatten().tolist(), "dtype": "int32"}
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "data": [int(v) for v in t.flatten().tolist()], "dtype": "bool"}
    return {"shape": list(t.shape), "data": [float(v) for v in t.float().flatten().tolist()]}


cases = []


def add(op, args, fn, inputs, consts=(), grad=True, skip=None):
    """One case: float `inputs` are differentiated, `consts` (targets, indices) are not."""
    ins = [x.double().clone().requires_grad_(True) for x in inputs]
    cs = [c.double() if c.dtype == torch.float32 else c for c in consts]
    if fn is None:
        return
    try:
        out = fn(*ins, *cs)
    except Exception:
        return  # a configuration PyTorch refuses
    if isinstance(out, (list, tuple)):
        out = torch.cat([o.flatten() for o in out])
    if out.numel() == 0 or (skip and skip(out)):
        return
    c = {"op": op, "args": args, "inputs": [enc(x.float()) for x in inputs] + [enc(x) for x in consts],
         "nGrad": len(inputs), "output": enc(out)}
    if grad and out.requires_grad:
        r = torch.randn(out.shape, dtype=torch.float64)
        gs = torch.autograd.grad((out * r).sum(), ins, allow_unused=True)
        c["r"] = enc(r)
        c["grads"] = [enc(g if g is not None else torch.zeros_like(x)) for g, x in zip(gs, ins)]
    cases.append(c)


def rn(*s):
    return torch.randn(list(s)).float()


def shape(dmin=1, dmax=4, hi=4):
    return [ri(1, hi) for _ in range(ri(dmin, dmax))]


def fam_nn():
    for _ in range(opt.n):
        g = ch([1, 1, 2, 3]); cin, cout = g * ri(1, 3), g * ri(1, 3)
        kh, kw, sh, sw, dh, dw = ri(1, 4), ri(1, 4), ri(1, 3), ri(1, 3), ri(1, 2), ri(1, 2)
        ph, pw = ri(0, dh * (kh - 1)), ri(0, dw * (kw - 1))
        oph, opw = ri(0, max(sh, dh) - 1), ri(0, max(sw, dw) - 1)
        a = dict(stride=[sh, sw], padding=[ph, pw], outputPadding=[oph, opw], groups=g, dilation=[dh, dw])
        add("convTranspose2d", a, lambda x, w, b: F.conv_transpose2d(x, w, b, (sh, sw), (ph, pw), (oph, opw), g, (dh, dw)),
            [rn(ri(1, 2), cin, ri(1, 6), ri(1, 6)), rn(cin, cout // g, kh, kw), rn(cout)])
        ph, pw = ri(0, 3), ri(0, 3)
        a = dict(stride=[sh, sw], padding=[ph, pw], groups=g, dilation=[dh, dw])
        add("conv2d", a, lambda x, w, b: F.conv2d(x, w, b, (sh, sw), (ph, pw), (dh, dw), g),
            [rn(ri(1, 2), cin, ri(1, 8), ri(1, 8)), rn(cout, cin // g, kh, kw), rn(cout)])
        k, s, d, p = ri(1, 5), ri(1, 3), ri(1, 2), ri(0, 3)
        x = rn(ri(1, 2), cin, ri(1, 12))
        add("conv1d", dict(stride=s, padding=p, dilation=d, groups=g), lambda x, w: F.conv1d(x, w, None, s, p, d, g), [x, rn(cout, cin // g, k)])
        p2, op = ri(0, d * (k - 1)), ri(0, max(s, d) - 1)
        add("convTranspose1d", dict(stride=s, padding=p2, dilation=d, groups=g, outputPadding=op),
            lambda x, w: F.conv_transpose1d(x, w, None, s, p2, op, g, d), [x, rn(cin, cout // g, k)])
        kh, kw, ph, pw, ceil = ri(1, 4), ri(1, 4), ri(0, 2), ri(0, 2), R.random() < 0.5
        ph, pw = min(ph, kh // 2), min(pw, kw // 2)
        x = rn(ri(1, 2), ri(1, 3), ri(1, 9), ri(1, 9))
        a = dict(kernel=[kh, kw], stride=[sh, sw], padding=[ph, pw], dilation=[dh, dw], ceilMode=ceil)
        try:  # a window of only padding: PyTorch's index there lies outside the window
            empty = bool(torch.isinf(F.max_pool2d(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil)).any())
        except Exception:
            empty = True
        if not empty:
            add("maxPool2d", a, lambda x: F.max_pool2d(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil), [x])
            add("maxPool2dIdx", a, lambda x: F.max_pool2d(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil, True)[1], [x], grad=False)
        cip, div = R.random() < 0.5, ch([None, None, ri(1, 5)])
        a = dict(kernel=[kh, kw], stride=[sh, sw], padding=[ph, pw], ceilMode=ceil, countIncludePad=cip, divisorOverride=div)
        add("avgPool2d", a, lambda x: F.avg_pool2d(x, (kh, kw), (sh, sw), (ph, pw), ceil, cip, div), [x])
        x = rn(ri(1, 2), ri(1, 3), ri(1, 9), ri(1, 9)); oh, ow = ri(1, 10), ri(1, 10)
        add("adaptiveAvgPool2d", dict(size=[oh, ow]), lambda x: F.adaptive_avg_pool2d(x, (oh, ow)), [x])
        add("adaptiveMaxPool2d", dict(size=[oh, ow]), lambda x: F.adaptive_max_pool2d(x, (oh, ow)), [x])
        # interpolate: two channels (one channel takes PyTorch's channels-last path, which
        # copies same-size axes in nearest mode); nearest/bicubic scales that keep a size are
        # skipped (PyTorch's forward applies the scale there, its backward copies).
        c2 = ri(2, 3)
        for spatial in (1, 2):
            x = rn(ri(1, 2), c2, *[ri(1, 7) for _ in range(spatial)])
            modes = ["nearest", "nearest-exact"] + (["linear"] if spatial == 1 else ["bilinear", "bicubic"])
            mode = ch(modes)
            ac = None if mode.startswith("nearest") else R.random() < 0.5
            if R.random() < 0.5:
                size = [ri(1, 12) for _ in range(spatial)]
                add("interpolate", dict(size=size, mode=mode, alignCorners=ac), lambda x: F.interpolate(x, size=size, mode=mode, align_corners=ac), [x])
            else:
                sf = [ch([0.5, 0.75, 1.3, 1.5, 2.0, 2.5, 3.0]) for _ in range(spatial)]
                keeps = any(math.floor(n * f) == n and f != 1 for n, f in zip(x.shape[2:], sf))
                if keeps and mode in ("nearest", "bicubic"):
                    continue
                add("interpolate", dict(scaleFactor=sf, mode=mode, alignCorners=ac), lambda x: F.interpolate(x, scale_factor=sf, mode=mode, align_corners=ac), [x])
        kh, kw, sh, sw, dh, dw, ph, pw = ri(1, 3), ri(1, 3), ri(1, 2), ri(1, 2), ri(1, 2), ri(1, 2), ri(0, 2), ri(0, 2)
        a = dict(kernel=[kh, kw], stride=[sh, sw], padding=[ph, pw], dilation=[dh, dw])
        add("unfold", a, lambda x: F.unfold(x, (kh, kw), (dh, dw), (ph, pw), (sh, sw)), [rn(ri(1, 2), ri(1, 3), ri(1, 7), ri(1, 7))])
        H, W = ri(1, 7), ri(1, 7)
        Lh, Lw = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        if Lh > 0 and Lw > 0:
            add("fold", dict(outputSize=[H, W], **a), lambda x: F.fold(x, (H, W), (kh, kw), (dh, dw), (ph, pw), (sh, sw)), [rn(ri(1, 2), ri(1, 2) * kh * kw, Lh * Lw)])
        x = rn(ri(1, 2), ri(1, 2), ri(2, 6), ri(2, 6)); h, w = x.shape[2], x.shape[3]
        mode = ch(["constant", "reflect", "replicate", "circular"])
        pads = {"reflect": [ri(0, w - 1), ri(0, w - 1), ri(0, h - 1), ri(0, h - 1)], "circular": [ri(0, w), ri(0, w), ri(0, h), ri(0, h)],
                "replicate": [ri(0, 4) for _ in range(4)], "constant": [ri(-1, 3) for _ in range(4)]}[mode]
        val = ch([0.0, 1.5]) if mode == "constant" else 0.0
        add("pad", dict(pads=pads, mode=mode, value=val), lambda x: F.pad(x, pads, mode=mode, value=val) if mode == "constant" else F.pad(x, pads, mode=mode), [x])


def fam_reduce():
    def data(s, kind):
        x = torch.randn(s)
        f = x.flatten()
        if kind == "zeros":
            for _ in range(ri(1, 2)):
                f[ri(0, f.numel() - 1)] = 0.0
        elif kind == "inf":
            f[ri(0, f.numel() - 1)] = -math.inf
        elif kind == "ties":
            return torch.randint(-2, 3, s).float()
        return f.reshape(s).float()
    for _ in range(opt.n):
        s = shape(); nd = len(s); keep = R.random() < 0.5
        k = ri(0, nd); ax = sorted(R.sample(range(nd), k)) or None
        dims = ax if ax is not None else list(range(nd))
        a = dict(axes=ax, keepDim=keep)
        add("sum", a, lambda x: x.sum(dim=dims, keepdim=keep), [data(s, "n")])
        add("mean", a, lambda x: x.mean(dim=dims, keepdim=keep), [data(s, "n")])
        add("prod", dict(axis=dims[0] if ax else None, keepDim=keep), (lambda x: x.prod(dim=dims[0], keepdim=keep)) if ax else (lambda x: x.prod()), [data(s, ch(["n", "zeros"]))])
        add("amax", a, lambda x: torch.amax(x, dim=dims, keepdim=keep), [data(s, ch(["n", "ties"]))])
        add("amin", a, lambda x: torch.amin(x, dim=dims, keepdim=keep), [data(s, ch(["n", "ties"]))])
        corr = ch([0, 1, 2])
        if math.prod(s[d] for d in dims) > corr:
            add("variance", dict(correction=corr, **a), lambda x: torch.var(x, dim=dims, correction=corr, keepdim=keep), [data(s, "n")])
            add("std", dict(correction=corr, **a), lambda x: torch.std(x, dim=dims, correction=corr, keepdim=keep), [data(s, "n")])
        add("logsumexp", a, lambda x: torch.logsumexp(x, dim=dims, keepdim=keep), [data(s, ch(["n", "inf"]))])
        p = ch([1, 2, 3, 0.5, math.inf, -math.inf])
        add("norm", dict(p=str(p) if math.isinf(p) else p, **a), lambda x: torch.linalg.vector_norm(x, ord=p, dim=dims, keepdim=keep), [data(s, "n" if p == 0.5 else ch(["n", "zeros"]))])
        axis = ri(-nd, nd - 1)
        add("cumsum", dict(axis=axis), lambda x: torch.cumsum(x, axis), [data(s, "n")])
        add("cumprod", dict(axis=axis), lambda x: torch.cumprod(x, axis), [data(s, ch(["n", "zeros"]))])
        add("median", dict(axis=axis, keepDim=keep), lambda x: torch.median(x, axis, keepdim=keep)[0], [data(s, "n")])
        add("medianIdx", dict(axis=axis, keepDim=keep), lambda x: torch.median(x, axis, keepdim=keep)[1], [data(s, "n")], grad=False)
        add("softmax", dict(axis=axis), lambda x: torch.softmax(x, axis), [data(s, ch(["n", "inf"]))])
        add("logSoftmax", dict(axis=axis), lambda x: torch.log_softmax(x, axis), [data(s, ch(["n", "inf"]))])
        add("maxAlong", dict(axis=axis, keepDim=keep), lambda x: torch.max(x, axis, keepdim=keep)[0], [data(s, ch(["n", "ties"]))])
        add("argmax", dict(axis=axis, keepDim=keep), lambda x: torch.argmax(x, axis, keepdim=keep), [data(s, ch(["n", "ties"]))], grad=False)
        pn = ch([1.0, 2.0, 3.0]); add("normalize", dict(p=pn, dim=axis), lambda x: F.normalize(x, p=pn, dim=axis), [data(s, "n")])
        M = ri(1, 4); pc = ch([1.0, 2.0, math.inf])
        add("cdist", dict(p=str(pc) if math.isinf(pc) else pc), lambda x, y: torch.cdist(x, y, p=pc), [rn(ri(1, 2), ri(1, 4), M), rn(ri(1, 4), M)])
        desc = R.random() < 0.5; xs = data(s, ch(["n", "ties", "inf"]))
        add("sort", dict(axis=axis, descending=desc), lambda x: torch.sort(x, axis, descending=desc, stable=True)[0], [xs])
        add("sortIdx", dict(axis=axis, descending=desc), lambda x: torch.sort(x, axis, descending=desc, stable=True)[1], [xs], grad=False)
        k, lg = ri(0, s[axis]), R.random() < 0.5  # distinct values: PyTorch's topk orders ties freely
        add("topk", dict(axis=axis, k=k, largest=lg), lambda x: torch.topk(x, k, axis, largest=lg)[0], [data(s, "n")])


SPECIAL = [0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 0.5, -0.5, 1.5, 2.5, -2.5, 20.0, -20.0, 2.0, -2.0]


def vals(s, specials=SPECIAL, pos=False):
    f = (torch.randn(list(s)) * 3).flatten()
    for i in range(f.numel()):
        if R.random() < 0.4:
            f[i] = ch(specials)
    x = f.reshape(list(s))
    return (x.abs() if pos else x).float()


def fam_elementwise():
    unary = {"neg": torch.neg, "abs": torch.abs, "sign": torch.sign, "exp": torch.exp, "square": torch.square,
             "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
             "relu6": F.relu6, "floor": torch.floor, "ceil": torch.ceil, "round": torch.round, "expm1": torch.expm1,
             "reciprocal": torch.reciprocal, "erf": torch.erf, "silu": F.silu, "mish": F.mish, "selu": F.selu,
             "softsign": F.softsign, "logSigmoid": F.logsigmoid, "hardSigmoid": F.hardsigmoid, "gelu": F.gelu,
             "tanhshrink": F.tanhshrink}
    positive = {"log": torch.log, "sqrt": torch.sqrt, "rsqrt": torch.rsqrt, "log1p": torch.log1p}
    for _ in range(opt.n):
        s = lambda: [ri(1, 3) for _ in range(ri(0, 3))]
        for name, f in unary.items():
            add(name, {}, f, [vals(s())])
        for name, f in positive.items():
            add(name, {}, f, [vals(s(), pos=True)])
        # PyTorch's hardswish gradient at exactly +-3 differs between its scalar and vector paths.
        add("hardSwish", {}, F.hardswish, [vals(s(), [v for v in SPECIAL if abs(v) != 3])])
        add("geluTanh", {}, lambda x: F.gelu(x, approximate="tanh"), [vals(s())])
        sl = ch([0.01, 0.2, -0.5, 0.0]); add("leakyRelu", dict(slope=sl), lambda x: F.leaky_relu(x, sl), [vals(s())])
        al = ch([1.0, 0.5, 2.0]); add("elu", dict(alpha=al), lambda x: F.elu(x, al), [vals(s())])
        add("celu", dict(alpha=al), lambda x: F.celu(x, al), [vals(s())])
        be, th = ch([1.0, 2.0, 0.5]), ch([20.0, 1.0, 3.0])
        add("softplus", dict(beta=be, threshold=th), lambda x: F.softplus(x, be, th), [vals(s(), SPECIAL + [th / be])])
        lo, hi = ch([(-1.0, 1.0), (-2.0, 3.0), (0.0, 6.0)])
        add("hardtanh", dict(min=lo, max=hi), lambda x: F.hardtanh(x, lo, hi), [vals(s(), SPECIAL + [lo, hi])])
        mn, mx = ch([(-1.0, 1.0), (None, 0.5), (-2.0, None), (1.0, -1.0)])
        add("clamp", dict(min=mn, max=mx), lambda x: torch.clamp(x, mn, mx), [vals(s(), SPECIAL + [v for v in (mn, mx) if v is not None])])
        lam = ch([0.5, 1.0, 0.0])
        add("softshrink", dict(lambd=lam), lambda x: F.softshrink(x, lam), [vals(s(), SPECIAL + [lam, -lam])])
        add("hardshrink", dict(lambd=lam), lambda x: F.hardshrink(x, lam), [vals(s(), SPECIAL + [lam, -lam])])
        tv = ch([0.0, 1.0, -1.0]); add("threshold", dict(threshold=tv, value=-2.0), lambda x: F.threshold(x, tv, -2.0), [vals(s())])
        sa = s(); a, b = list(sa), list(sa)
        for i in range(len(sa)):
            if R.random() < 0.3: a[i] = 1
            elif R.random() < 0.3: b[i] = 1
        for name, f in {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "maximum": torch.maximum, "minimum": torch.minimum}.items():
            add(name, {}, f, [vals(a), vals(b)])
        add("pow", {}, torch.pow, [vals(a, [0.0, 1.0, -1.0, 2.0, -2.0, 0.5]), vals(b, [0.0, 1.0, 2.0, 3.0, -1.0, 0.5])])
        e = ch([2.0, 3.0, 0.5, -1.0, 0.0, 1.0]); add("powScalar", dict(e=e), lambda x: torch.pow(x, e), [vals(s())])
        bb = ch([2.0, 0.5, 0.0, -2.0]); add("rpow", dict(b=bb), lambda x: torch.pow(bb, x), [vals(s(), [0.0, 1.0, 2.0, -1.0, 0.5])])
        # Division-style ops away from b = 0; remainders are only drawn where they do not jump.
        den = [1.5, -2.0, 3.0, -0.75, 4.0]
        add("floorDivide", {}, lambda x, y: torch.div(x, y, rounding_mode="floor"), [vals(a), vals(b, den)], grad=False)
        add("remainder", {}, torch.remainder, [vals(a), vals(b, den)], grad=False)
        add("fmod", {}, torch.fmod, [vals(a), vals(b, den)], grad=False)
        add("atan2", {}, torch.atan2, [vals(a), vals(b)])
        w = ch([0.2, 0.5, 0.9]); add("lerp", dict(w=w), lambda x, y: torch.lerp(x, y, w), [vals(a), vals(b)])
        add("isclose", {}, lambda x, y: torch.isclose(x, y), [vals(a), vals(b)], grad=False)


def fam_loss():
    for _ in range(opt.n):
        n, C = ri(1, 4), ri(2, 5)
        extra = [ri(1, 3) for _ in range(ch([0, 0, 1, 2]))]
        x = rn(n, C, *extra); tgt = torch.randint(0, C, (n, *extra))
        ig = ch([None, None, ri(0, C - 1), -100])
        if ig == -100 and R.random() < 0.5:
            tgt.view(-1)[0] = -100
        w = ch([None, torch.rand(C).float() + 0.1]); ls = ch([0.0, 0.0, 0.1, 0.3]); rd = ch(["mean", "sum", "none"])
        kw = {} if ig is None else {"ignore_index": ig}
        ws = [w] if w is not None else []
        add("crossEntropy", dict(reduction=rd, labelSmoothing=ls, ignoreIndex=ig, weight=w is not None),
            lambda x, t, *w_: F.cross_entropy(x, t, weight=w_[0] if w_ else None, reduction=rd, label_smoothing=ls, **kw), [x], [tgt] + ws)
        add("nllLoss", dict(reduction=rd, ignoreIndex=ig, weight=w is not None),
            lambda x, t, *w_: F.nll_loss(torch.log_softmax(x, 1), t, weight=w_[0] if w_ else None, reduction=rd, **kw), [x], [tgt] + ws)
        pt = torch.softmax(rn(n, C, *extra) * 2, 1)
        add("crossEntropySoft", dict(reduction=rd, labelSmoothing=ls, weight=w is not None),
            lambda x, t, *w_: F.cross_entropy(x, t, weight=w_[0] if w_ else None, reduction=rd, label_smoothing=ls), [x], [pt] + ws)
        s = [ri(1, 3) for _ in range(ri(1, 3))]
        p = torch.sigmoid(rn(*s) * 2); y = torch.rand(s).float()
        if R.random() < 0.5:
            y = (y > 0.5).float()
        bw = ch([None, torch.rand(s[-1]).float() + 0.1]); pw = ch([None, torch.rand(s[-1]).float() * 3])
        add("bce", dict(reduction=rd, weight=bw is not None), lambda p, y, *w_: F.binary_cross_entropy(p, y, weight=w_[0] if w_ else None, reduction=rd), [p], [y] + ([bw] if bw is not None else []))

        def bcel(l, y, *rest, hw=bw is not None, hp=pw is not None):
            rest = list(rest)
            ww = rest.pop(0) if hw else None
            return F.binary_cross_entropy_with_logits(l, y, weight=ww, pos_weight=rest.pop(0) if hp else None, reduction=rd)
        add("bceLogits", dict(reduction=rd, weight=bw is not None, posWeight=pw is not None), bcel, [rn(*s) * 3],
            [y] + ([bw] if bw is not None else []) + ([pw] if pw is not None else []))
        lt, rdk = R.random() < 0.5, ch(["mean", "sum", "none", "batchmean"])
        tg = torch.softmax(rn(n, C), 1)
        add("klDiv", dict(reduction=rdk, logTarget=lt), lambda i, t: F.kl_div(i, t, reduction=rdk, log_target=lt), [torch.log_softmax(rn(n, C), 1)], [tg.log() if lt else tg])
        pm, mg = ch([1, 2]), ch([1.0, 0.5, 2.0]); mw = ch([None, torch.rand(C).float() + 0.1])
        add("multiMargin", dict(reduction=rd, p=pm, margin=mg, weight=mw is not None),
            lambda x, t, *w_: F.multi_margin_loss(x, t, p=pm, margin=mg, weight=w_[0] if w_ else None, reduction=rd), [rn(n, C)], [torch.randint(0, C, (n,))] + ([mw] if mw is not None else []))
        ys = (torch.randint(0, 2, s) * 2 - 1).float()
        add("softMargin", dict(reduction=rd), lambda x, y: F.soft_margin_loss(x, y, reduction=rd), [rn(*s)], [ys])
        add("hingeEmbedding", dict(reduction=rd, margin=mg), lambda x, y: F.hinge_embedding_loss(x, y, margin=mg, reduction=rd), [rn(*s).abs()], [ys])
        add("marginRanking", dict(reduction=rd, margin=mg - 1), lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=mg - 1, reduction=rd), [rn(*s), rn(*s)], [ys])
        D = ri(1, 5); yc = (torch.randint(0, 2, (n,)) * 2 - 1).float(); cm = ch([0.0, 0.3, -0.2])
        add("cosineEmbedding", dict(reduction=rd, margin=cm), lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=cm, reduction=rd), [rn(n, D), rn(n, D)], [yc])
        ce = ch([1e-8, 1e-3])
        add("cosineSimilarity", dict(dim=-1, eps=ce), lambda a, b: F.cosine_similarity(a, b, dim=-1, eps=ce), [rn(n, D), rn(n, D)])
        tp, sw = ch([1.0, 2.0, 3.0]), R.random() < 0.5
        add("triplet", dict(reduction=rd, margin=mg, p=tp, swap=sw), lambda a, p_, n_: F.triplet_margin_loss(a, p_, n_, margin=mg, p=tp, swap=sw, reduction=rd), [rn(n, D), rn(n, D), rn(n, D)])
        add("mse", dict(reduction=rd), lambda a, b: F.mse_loss(a, b, reduction=rd), [rn(*s), rn(*s)])
        add("l1", dict(reduction=rd), lambda a, b: F.l1_loss(a, b, reduction=rd), [rn(*s), rn(*s)])
        be = ch([1.0, 0.5, 0.0, 2.0]); add("smoothL1", dict(reduction=rd, beta=be), lambda a, b: F.smooth_l1_loss(a, b, reduction=rd, beta=be), [rn(*s), rn(*s)])
        de = ch([1.0, 0.5, 2.0]); add("huber", dict(reduction=rd, delta=de), lambda a, b: F.huber_loss(a, b, reduction=rd, delta=de), [rn(*s), rn(*s)])
        li, fu = R.random() < 0.5, R.random() < 0.5
        add("poissonNll", dict(reduction=rd, logInput=li, full=fu), lambda i, t: F.poisson_nll_loss(i, t, log_input=li, full=fu, reduction=rd),
            [rn(*s) if li else rn(*s).abs() + 0.1], [torch.randint(0, 6, s).float()])
        var = ch([torch.rand(n, D) + 0.1, torch.rand(n, 1) + 0.1, torch.rand(n) + 0.1]).float()
        add("gaussianNll", dict(reduction=rd, full=fu), lambda m, v, t: F.gaussian_nll_loss(m, t, v, full=fu, reduction=rd), [rn(n, D), var], [rn(n, D)])


def fam_shape():
    for _ in range(opt.n):
        s = shape(); nd = len(s); ax = ri(-nd, nd - 1); a = ax % nd
        isz = [ri(1, s[d]) if d != a else ri(1, 5) for d in range(nd)]
        idx = torch.randint(0, s[a], isz)
        add("gather", dict(axis=ax), lambda x, i: torch.gather(x, ax, i), [rn(*s)], [idx])
        add("scatterAdd", dict(axis=ax), lambda x, src, i: x.scatter_add(ax, i, src), [rn(*s), rn(*isz)], [idx])
        add("indexSelect", dict(axis=ax), lambda x, i: torch.index_select(x, ax, i), [rn(*s)], [torch.randint(0, s[a], (ri(1, 5),))])
        axes = R.sample(range(nd), ri(1, nd)); shifts = [ri(-6, 6) for _ in axes]
        add("roll", dict(shifts=shifts, axes=axes), lambda x: torch.roll(x, shifts, axes), [rn(*s)])
        add("flip", dict(axes=axes), lambda x: torch.flip(x, axes), [rn(*s)])
        s2 = shape(dmin=2); d = ri(-4, 4)
        add("tril", dict(k=d), lambda x: torch.tril(x, d), [rn(*s2)])
        add("triu", dict(k=d), lambda x: torch.triu(x, d), [rn(*s2)])
        reps = [ri(1, 3) for _ in range(nd + ri(0, 2))]
        add("repeat", dict(reps=reps), lambda x: x.repeat(*reps), [rn(*s)])
        st = ri(-s[a], s[a] - 1); ln = ri(0, s[a] - (st % s[a]))
        add("narrow", dict(axis=ax, start=st, length=ln), lambda x: torch.narrow(x, ax, st, ln), [rn(*s)])
        others = [[ri(1, 3) if i == a else v for i, v in enumerate(s)] for _ in range(ri(1, 3))]
        add("cat", dict(axis=ax), lambda *xs: torch.cat(xs, ax), [rn(*o) for o in others])
        sa = ri(-nd - 1, nd); add("stack", dict(axis=sa), lambda *xs: torch.stack(xs, sa), [rn(*s) for _ in range(ri(1, 3))])
        sz = ri(1, s[a]); add("split", dict(size=sz, axis=ax), lambda x: torch.split(x, sz, ax), [rn(*s)])
        chn = ri(1, 5); add("chunk", dict(chunks=chn, axis=ax), lambda x: torch.chunk(x, chn, ax), [rn(*s)])
        spec, py = [], []
        for d in range(nd):
            u = R.random()
            if u < 0.2:
                i = ri(-s[d], s[d] - 1); spec.append(i); py.append(i)
            elif u < 0.35:
                spec.append(None); py.append(slice(None))
            else:
                a0, b0, c0 = ch([None, ri(-s[d] - 1, s[d] + 1)]), ch([None, ri(-s[d] - 1, s[d] + 1)]), ch([None, 1, 2, 3])
                spec.append([a0, b0, c0]); py.append(slice(a0, b0, c0))
        add("slice", dict(spec=spec), lambda x: x[tuple(py)], [rn(*s)])
        m = torch.rand(s[nd - ri(1, nd):]) > 0.5
        add("maskedFill", dict(value=-1.5), lambda x, mk: x.masked_fill(mk, -1.5), [rn(*s)], [m])
        adv = sorted(R.sample(range(nd), ri(1, nd))); ishape = [ri(1, 3) for _ in range(ri(1, 2))]
        idxs = {d: torch.randint(-s[d], s[d], ishape) for d in adv}
        key = tuple(idxs[d] if d in idxs else slice(None) for d in range(nd))
        add("index", dict(adv=adv), lambda x, *ts: x[key], [rn(*s)], [idxs[d] for d in adv])
        ind = ch(["ij", "xy"]); ms = [rn(ri(1, 4)) for _ in range(ri(1, 3))]
        add("meshgrid", dict(indexing=ind), lambda *xs: torch.meshgrid(*xs, indexing=ind), ms)
        if nd >= 2:
            off, d1, d2 = ri(-3, 3), *R.sample(range(-nd, nd), 2)
            if d1 % nd != d2 % nd:
                add("diagonal", dict(offset=off, axis1=d1, axis2=d2), lambda x: torch.diagonal(x, off, d1, d2), [rn(*s)])
        off = ri(-2, 2); add("diag", dict(offset=off), lambda x: torch.diag(x, off), [rn(*shape(1, 2))])
        rep = ri(0, 3); add("repeatInterleave", dict(repeats=rep, axis=ax), lambda x: torch.repeat_interleave(x, rep, dim=ax), [rn(*s)])


layer_cases = []


def layer_case(spec, module, x, x2):
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn(p.shape) * 0.5 + (1.0 if "weight" in name else 0.0))
    sd0 = {k: enc(v) for k, v in module.state_dict().items()}
    module.train()
    try:
        module(x2)  # an earlier step: running statistics accumulate
    except Exception:
        return
    xin = x.clone().requires_grad_(True)
    out = module(xin)
    r = torch.randn(out.shape)
    params = list(module.named_parameters())
    grads = torch.autograd.grad((out * r).sum(), [xin] + [p for _, p in params], allow_unused=True)
    grads = [g if g is not None else torch.zeros_like(t) for g, t in zip(grads, [xin] + [p for _, p in params])]
    sd1 = {k: enc(v) for k, v in module.state_dict().items()}
    module.eval()
    with torch.no_grad():
        oe = module(x)
    layer_cases.append({"spec": spec, "state": sd0, "input": enc(x), "input2": enc(x2), "output": enc(out), "r": enc(r),
                        "inputGrad": enc(grads[0]), "paramGrads": {n: enc(g) for (n, _), g in zip(params, grads[1:])},
                        "stateAfter": sd1, "evalOutput": enc(oe)})


def fam_norm():
    for _ in range(opt.n):
        C, eps, mom, aff, trk, n = ri(1, 4), ch([1e-5, 1e-3, 0.1]), ch([0.1, 0.5, None]), R.random() < 0.6, R.random() < 0.7, ri(2, 4)
        shp = [n, C] + ([ri(1, 4)] if R.random() < 0.5 else [])
        layer_case(dict(cls="BatchNorm1d", c=C, eps=eps, momentum=mom, affine=aff, track=trk), nn.BatchNorm1d(C, eps, mom, aff, trk), rn(*shp), rn(*shp))
        shp = [n, C, ri(1, 4), ri(1, 4)]
        layer_case(dict(cls="BatchNorm2d", c=C, eps=eps, momentum=mom, affine=aff, track=trk), nn.BatchNorm2d(C, eps, mom, aff, trk), rn(*shp), rn(*shp))
        nd = ri(1, 3); full = [ri(1, 4) for _ in range(nd + ri(0, 2))]; ns = full[len(full) - nd:]
        ea = R.random() < 0.6
        layer_case(dict(cls="LayerNorm", shape=ns, eps=eps, affine=ea), nn.LayerNorm(ns, eps=eps, elementwise_affine=ea), rn(*full), rn(*full))
        g = ri(1, 3); Cg = g * ri(1, 3); shp = [ri(1, 3), Cg] + [ri(1, 3) for _ in range(ri(0, 2))]
        layer_case(dict(cls="GroupNorm", g=g, c=Cg, eps=eps, affine=aff), nn.GroupNorm(g, Cg, eps=eps, affine=aff), rn(*shp), rn(*shp))
        shp = [ri(1, 3), C, ri(2, 4), ri(1, 4)]; m2 = ch([0.1, 0.5])
        layer_case(dict(cls="InstanceNorm2d", c=C, eps=eps, momentum=m2, affine=aff, track=trk), nn.InstanceNorm2d(C, eps, m2, aff, trk), rn(*shp), rn(*shp))
        sz, al, be, k = ri(1, 5), ch([1e-4, 0.1, 1.0]), ch([0.75, 0.5, 1.0]), ch([1.0, 2.0])
        shp = [ri(1, 2), ri(1, 6)] + [ri(1, 3) for _ in range(ri(1, 2))]
        layer_case(dict(cls="LocalResponseNorm", size=sz, alpha=al, beta=be, k=k), nn.LocalResponseNorm(sz, al, be, k), rn(*shp), rn(*shp))


def fam_optim():
    O, S = torch.optim, torch.optim.lr_scheduler
    ns = {}
    src = (pathlib.Path(__file__).parent.parent / "fixtures" / "gen_optimizers.py").read_text()
    exec(src.split("configs = {")[0], ns)  # NAdamFixed: NAdam as PyTorch >= 2.0 defines it
    out = {"optimizers": [], "schedulers": []}
    for _ in range(opt.n):
        p0 = [[round(R.gauss(0, 1), 3) for _ in range(3)] for _ in range(2)]
        p1 = [round(R.gauss(0, 1), 3) for _ in range(3)]
        t0 = [[round(R.gauss(0, 1), 3) for _ in range(3)] for _ in range(2)]
        if R.random() < 0.3: p0[0][0] = t0[0][0]  # a zero gradient
        cls = ch(["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam", "RAdam"])
        lr, wd, mx = ch([0.01, 0.1, 0.5]), ch([0.0, 0.0, 0.1]), R.random() < 0.25
        if cls == "SGD":
            mom, damp = ch([0.0, 0.9, 0.5]), ch([0.0, 0.1]); nes = mom > 0 and damp == 0 and R.random() < 0.5
            o = dict(lr=lr, momentum=mom, dampening=damp, weightDecay=wd, nesterov=nes, maximize=mx)
            mk = lambda ps: O.SGD(ps, lr=lr, momentum=mom, dampening=damp, weight_decay=wd, nesterov=nes, maximize=mx)
        elif cls == "Adagrad":
            ld, iav, eps = ch([0.0, 0.05]), ch([0.0, 0.1]), ch([1e-10, 1e-3])
            o = dict(lr=lr, lrDecay=ld, weightDecay=wd, initialAccumulatorValue=iav, eps=eps, maximize=mx)
            mk = lambda ps: O.Adagrad(ps, lr=lr, lr_decay=ld, weight_decay=wd, initial_accumulator_value=iav, eps=eps, maximize=mx)
        elif cls == "RMSprop":
            al, eps, mom, ce = ch([0.99, 0.9]), ch([1e-8, 1e-3]), ch([0.0, 0.9]), R.random() < 0.5
            o = dict(lr=lr, alpha=al, eps=eps, weightDecay=wd, momentum=mom, centered=ce, maximize=mx)
            mk = lambda ps: O.RMSprop(ps, lr=lr, alpha=al, eps=eps, weight_decay=wd, momentum=mom, centered=ce, maximize=mx)
        elif cls == "Adadelta":
            rho, eps, lr = ch([0.9, 0.5]), ch([1e-6, 1e-3]), ch([1.0, 0.5])
            o = dict(lr=lr, rho=rho, eps=eps, weightDecay=wd, maximize=mx)
            mk = lambda ps: O.Adadelta(ps, lr=lr, rho=rho, eps=eps, weight_decay=wd, maximize=mx)
        elif cls in ("Adam", "AdamW"):
            b, eps, ams = ch([[0.9, 0.999], [0.5, 0.9], [0.0, 0.99]]), ch([1e-8, 1e-3]), R.random() < 0.5
            wd2 = wd if cls == "Adam" else ch([0.01, 0.1]); C = getattr(O, cls)
            o = dict(lr=lr, betas=b, eps=eps, weightDecay=wd2, amsgrad=ams, maximize=mx)
            mk = lambda ps: C(ps, lr=lr, betas=tuple(b), eps=eps, weight_decay=wd2, amsgrad=ams, maximize=mx)
        elif cls == "Adamax":
            b, eps = ch([[0.9, 0.999], [0.5, 0.9]]), ch([1e-8, 1e-3])
            o = dict(lr=lr, betas=b, eps=eps, weightDecay=wd, maximize=mx)
            mk = lambda ps: O.Adamax(ps, lr=lr, betas=tuple(b), eps=eps, weight_decay=wd, maximize=mx)
        elif cls == "NAdam":
            b, md = ch([[0.9, 0.999], [0.5, 0.9]]), ch([4e-3, 0.1])
            o = dict(lr=lr, betas=b, weightDecay=wd, momentumDecay=md)
            mk = lambda ps: ns["NAdamFixed"](ps, lr=lr, betas=tuple(b), weight_decay=wd, momentum_decay=md)
        else:
            b, eps = ch([[0.9, 0.999], [0.5, 0.9]]), ch([1e-8, 1e-3])
            o = dict(lr=lr, betas=b, eps=eps, weightDecay=wd)
            mk = lambda ps: O.RAdam(ps, lr=lr, betas=tuple(b), eps=eps, weight_decay=wd)
        a0 = torch.tensor(p0, dtype=torch.float64, requires_grad=True); a1 = torch.tensor(p1, dtype=torch.float64, requires_grad=True)
        tt = torch.tensor(t0, dtype=torch.float64); o_ = mk([a0, a1]); traj = []
        for _ in range(10):
            o_.zero_grad()
            (0.5 * ((a0 - tt) ** 2).sum() + 0.1 * (a1 ** 3).sum()).backward()
            o_.step(); traj.append([a0.detach().flatten().tolist(), a1.detach().flatten().tolist()])
        if max(abs(v) for step in traj for p_ in step for v in p_) < 1e30:  # diverged past float32: not comparable
            out["optimizers"].append(dict(cls=cls, options=o, p0=p0, p1=p1, t0=t0, trajectory=traj))
        cls = ch(["ConstantLR", "LinearLR", "StepLR", "MultiStepLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
                  "CyclicLR", "ReduceLROnPlateau"])
        metrics = None
        lr, n = ch([1.0, 0.1, 0.5]), ri(5, 25)
        if cls == "ConstantLR": f, ti = ch([0.1, 0.5]), ri(1, 8); o = dict(factor=f, totalIters=ti); mk = lambda op: S.ConstantLR(op, factor=f, total_iters=ti)
        elif cls == "LinearLR": a, b, ti = ch([0.1, 0.5, 1.0]), ch([1.0, 0.5, 0.2]), ri(1, 8); o = dict(startFactor=a, endFactor=b, totalIters=ti); mk = lambda op: S.LinearLR(op, start_factor=a, end_factor=b, total_iters=ti)
        elif cls == "StepLR": ss, g = ri(1, 5), ch([0.5, 0.1]); o = dict(stepSize=ss, gamma=g); mk = lambda op: S.StepLR(op, step_size=ss, gamma=g)
        elif cls == "MultiStepLR": ms, g = sorted(R.sample(range(1, 20), ri(1, 4))), ch([0.5, 0.1]); o = dict(milestones=ms, gamma=g); mk = lambda op: S.MultiStepLR(op, milestones=ms, gamma=g)
        elif cls == "ExponentialLR": g = ch([0.5, 0.9]); o = dict(gamma=g); mk = lambda op: S.ExponentialLR(op, gamma=g)
        elif cls == "PolynomialLR": ti, pw = ri(1, 12), ch([1.0, 2.0, 0.5]); o = dict(totalIters=ti, power=pw); mk = lambda op: S.PolynomialLR(op, total_iters=ti, power=pw)
        elif cls == "CosineAnnealingLR": tm, em = ri(1, 12), ch([0.0, 0.01]); o = dict(tMax=tm, etaMin=em); mk = lambda op: S.CosineAnnealingLR(op, T_max=tm, eta_min=em)
        elif cls == "CosineAnnealingWarmRestarts": t0_, tm, em = ri(1, 5), ri(1, 3), ch([0.0, 0.01]); o = dict(t0=t0_, tMult=tm, etaMin=em); mk = lambda op: S.CosineAnnealingWarmRestarts(op, T_0=t0_, T_mult=tm, eta_min=em)
        elif cls == "CyclicLR":
            o = dict(baseLr=ch([0.01, 0.1]), maxLr=ch([0.5, 1.0]), stepSizeUp=ri(1, 5), stepSizeDown=ch([None, ri(1, 4)]),
                     mode=ch(["triangular", "triangular2", "expRange"]), gamma=ch([1.0, 0.9]), cycleMomentum=R.random() < 0.7,
                     baseMomentum=ch([0.8, 0.85]), maxMomentum=ch([0.9, 0.95]))
            mk = lambda op, o=o: S.CyclicLR(op, base_lr=o["baseLr"], max_lr=o["maxLr"], step_size_up=o["stepSizeUp"], step_size_down=o["stepSizeDown"],
                                            mode={"expRange": "exp_range"}.get(o["mode"], o["mode"]), gamma=o["gamma"], cycle_momentum=o["cycleMomentum"],
                                            base_momentum=o["baseMomentum"], max_momentum=o["maxMomentum"])
        elif cls == "ReduceLROnPlateau":
            o = dict(mode=ch(["min", "max"]), factor=ch([0.5, 0.1]), patience=ri(0, 3), threshold=ch([1e-4, 0.1]), thresholdMode=ch(["rel", "abs"]),
                     cooldown=ri(0, 2), minLr=ch([0.0, 0.01]), eps=ch([1e-8, 0.05]))
            mk = lambda op, o=o: S.ReduceLROnPlateau(op, mode=o["mode"], factor=o["factor"], patience=o["patience"], threshold=o["threshold"],
                                                     threshold_mode=o["thresholdMode"], cooldown=o["cooldown"], min_lr=o["minLr"], eps=o["eps"])
            # Plateaus, small moves and real improvements.
            metrics, m = [], 1.0
            for _ in range(n):
                m = ch([m, m, m * (1 - ch([1e-5, 0.05, 0.3])), m * 1.1]); metrics.append(m)
        else:
            ts = ri(6, 20); n = ts - 1
            o = dict(maxLr=ch([1.0, 0.3]), totalSteps=ts, pctStart=ch([0.3, 0.25, 0.5]), annealStrategy=ch(["cos", "linear"]), threePhase=R.random() < 0.4,
                     divFactor=ch([25.0, 10.0]), finalDivFactor=ch([1e4, 100.0]), cycleMomentum=R.random() < 0.7)
            mk = lambda op, o=o: S.OneCycleLR(op, max_lr=o["maxLr"], total_steps=o["totalSteps"], pct_start=o["pctStart"], anneal_strategy=o["annealStrategy"],
                                              three_phase=o["threePhase"], div_factor=o["divFactor"], final_div_factor=o["finalDivFactor"], cycle_momentum=o["cycleMomentum"])
        p = torch.zeros(1, requires_grad=True); sgd = O.SGD([p], lr=lr, momentum=0.9); sch = mk(sgd)
        v = [[sgd.param_groups[0]["lr"], sgd.param_groups[0]["momentum"]]]
        for k in range(n):
            sgd.step(); sch.step(metrics[k]) if metrics else sch.step()
            v.append([sgd.param_groups[0]["lr"], sgd.param_groups[0]["momentum"]])
        out["schedulers"].append(dict(cls=cls, options=o, lr=lr, lrs=v, metrics=metrics))
    return out


def fam_extra():
    """Spatial transformers, counting, CTC and the late additions to the losses and layers."""
    for _ in range(opt.n):
        n, c, h, w = ri(1, 2), ri(1, 3), ri(1, 6), ri(1, 6)
        ho, wo = ri(1, 5), ri(1, 5)
        x = rn(n, c, h, w); grid = (torch.rand(n, ho, wo, 2) * 3 - 1.5).float()
        mode, pm, ac = ch(["bilinear", "nearest"]), ch(["zeros", "border", "reflection"]), R.random() < 0.5
        add("gridSample", dict(mode=mode, paddingMode=pm, alignCorners=ac),
            lambda x, g: F.grid_sample(x, g, mode=mode, padding_mode=pm, align_corners=ac), [x, grid])
        size = [n, c, ri(1, 5), ri(1, 5)]; ac2 = R.random() < 0.5
        add("affineGrid", dict(size=size, alignCorners=ac2), lambda t: F.affine_grid(t, size, align_corners=ac2), [rn(n, 2, 3)])
        v = torch.randint(0, ri(1, 8), (ri(0, 12),)); ml = ch([0, 0, ri(1, 10)])
        wts = rn(v.numel())
        add("bincount", dict(minlength=ml, weights=False), lambda v: torch.bincount(v, minlength=ml), [], [v], grad=False)
        add("bincount", dict(minlength=ml, weights=True), lambda v, wt: torch.bincount(v, wt, minlength=ml), [], [v, wts], grad=False)
        hx = rn(ri(1, 20)) * 2
        if R.random() < 0.3:  # not NaN: PyTorch 1.13 counts it in the first bin (a float-to-int cast of NaN)
            hx[0] = ch([float("inf"), float("-inf"), 5.0])
        lo, hi = ch([(0.0, 0.0), (-1.0, 1.0), (-0.5, 2.0), (1.0, 1.0)])
        bins = ri(1, 12)
        # An automatic range of constant data puts the value on a bin edge (the middle of
        # [v − 1, v + 1]), where PyTorch's float32 edges round it into either bin.
        if not (lo == hi == 0.0 and (not torch.isfinite(hx).all() or bool((hx == hx[0]).all()))):
            add("histc", dict(bins=bins, min=lo, max=hi), lambda t: torch.histc(t.float(), bins, lo, hi), [], [hx], grad=False)
        # CTC: frames, batch, classes, padded targets without blanks.
        T_, N, C = ri(1, 8), ri(1, 3), ri(2, 5)
        blank = ri(0, C - 1)
        S = ri(1, 4)
        il = torch.tensor([ri(1, T_) for _ in range(N)], dtype=torch.int32)
        tl = torch.tensor([ri(0, S) for _ in range(N)], dtype=torch.int32)
        labels = [k for k in range(C) if k != blank]
        tg = torch.tensor([[ch(labels) for _ in range(S)] for _ in range(N)], dtype=torch.int32)
        rd, zi = ch(["mean", "sum", "none"]), R.random() < 0.5
        add("ctc", dict(blank=blank, reduction=rd, zeroInfinity=zi),
            lambda x, tg, il, tl: F.ctc_loss(F.log_softmax(x, 2), tg.long(), il.long(), tl.long(), blank, rd, zi),
            [rn(T_, N, C) * 2], [tg, il, tl])
        # Multi-label soft margin, triplet with the default distance.
        nn_, C2 = ri(1, 4), ri(1, 5)
        y = (torch.rand(nn_, C2) > 0.5).float(); wt = ch([None, torch.rand(C2).float() + 0.1])
        rd = ch(["mean", "sum", "none"])
        add("multiLabelSoftMargin", dict(reduction=rd, weight=wt is not None),
            lambda x, y, *w_: F.multilabel_soft_margin_loss(x, y, weight=w_[0] if w_ else None, reduction=rd),
            [rn(nn_, C2) * 2], [y] + ([wt] if wt is not None else []))
        d = ri(1, 5); mg, sw = ch([0.5, 1.0, 2.0]), R.random() < 0.5
        add("tripletDistance", dict(margin=mg, swap=sw, reduction=rd),
            lambda a, p_, n_: F.triplet_margin_with_distance_loss(a, p_, n_, margin=mg, swap=sw, reduction=rd),
            [rn(nn_, d), rn(nn_, d), rn(nn_, d)])
        # Small layers and shape ops.
        s = [ri(1, 3) for _ in range(ri(1, 4))]; ax = ri(0, len(s) - 1); s[ax] *= 2
        add("glu", dict(axis=ax), lambda x: F.glu(x, ax), [rn(*s)])
        add("tanhshrink", {}, F.tanhshrink, [rn(*s) * 3])
        lo_, up_ = ch([(0.125, 1 / 3), (0.0, 0.5), (0.2, 0.2)])
        add("rreluEval", dict(lower=lo_, upper=up_), lambda x: F.rrelu(x, lo_, up_, False), [rn(*s) * 3])
        r_ = ri(1, 3)
        add("pixelShuffle", dict(factor=r_), lambda x: F.pixel_shuffle(x, r_), [rn(ri(1, 2), r_ * r_ * ri(1, 2), ri(1, 3), ri(1, 3))])
        add("pixelUnshuffle", dict(factor=r_), lambda x: F.pixel_unshuffle(x, r_), [rn(ri(1, 2), ri(1, 2), r_ * ri(1, 3), r_ * ri(1, 3))])
        # PyTorch 1.13's trace gradient of a tall matrix steps past the diagonal (index k·(cols+1)).
        tm = rn(ri(1, 5), ri(1, 5))
        add("trace", {}, torch.trace, [tm], grad=tm.shape[0] <= tm.shape[1])
        nv, dim = ri(2, 6), ri(1, 4); pi = ch([None, ri(0, nv - 1)])
        idx = torch.randint(0, nv, [ri(1, 3) for _ in range(ri(1, 2))], dtype=torch.int32)
        add("embedding", dict(paddingIdx=pi), lambda wt, i: F.embedding(i.long(), wt, padding_idx=pi), [rn(nv, dim)], [idx])
        k, st = ri(2, 3), ri(1, 3); pd = ri(0, k // 2)
        xu = rn(ri(1, 2), ri(1, 2), ri(k, 8), ri(k, 8))
        if not bool(torch.isinf(F.max_pool2d(xu, k, st, pd)).any()):
            def unpool(x, k=k, st=st, pd=pd):
                v_, i_ = F.max_pool2d(x, k, st, pd, return_indices=True)
                return F.max_unpool2d(v_, i_, k, st, pd, output_size=x.shape[2:])
            add("maxUnpool2d", dict(kernel=k, stride=st, padding=pd), unpool, [xu])
        # Multi-head attention with its weights as inputs (so they get gradients too).
        H = ri(1, 3); E = H * ri(1, 3); L_, S_, N_ = ri(1, 4), ri(1, 4), ri(1, 3)
        kd, vd = ch([E, E, ri(1, 5)]), ch([E, E, ri(1, 5)])
        sep, bias, bkv, zat = kd != E or vd != E, R.random() < 0.8, R.random() < 0.3, R.random() < 0.3
        unb = R.random() < 0.2; bf = not unb and R.random() < 0.3
        nw, avg = R.random() < 0.8, R.random() < 0.7
        sh = (lambda n_, l_, e_: [l_, e_]) if unb else (lambda n_, l_, e_: [n_, l_, e_] if bf else [l_, n_, e_])
        ins = [rn(*sh(N_, L_, E)), rn(*sh(N_, S_, kd)), rn(*sh(N_, S_, vd))]
        names = ["query", "key", "value"]
        if sep:
            ins += [rn(E, E) * 0.5, rn(E, kd) * 0.5, rn(E, vd) * 0.5]; names += ["q_proj_weight", "k_proj_weight", "v_proj_weight"]
        else:
            ins += [rn(3 * E, E) * 0.5]; names += ["in_proj_weight"]
        if bias:
            ins += [rn(3 * E) * 0.5]; names += ["in_proj_bias"]
        if bkv:
            ins += [rn(1, 1, E), rn(1, 1, E)]; names += ["bias_k", "bias_v"]
        ins += [rn(E, E) * 0.5]; names += ["out_proj.weight"]
        if bias:
            ins += [rn(E) * 0.5]; names += ["out_proj.bias"]
        consts, cnames = [], []
        km = ch([None, "bool", "float"])
        if km == "bool":
            kpm = torch.rand([S_] if unb else [N_, S_]) < 0.3
            kpm.view(-1)[0] = False  # every query keeps a key
            consts.append(kpm); cnames.append("keyPaddingMask")
        elif km == "float":
            consts.append(rn(*([S_] if unb else [N_, S_]))); cnames.append("keyPaddingMask")
        am = ch([None, "bool2", "float2", "bool3", "float3"]) if km != "float" else ch([None, None])
        if am:
            shp = [L_, S_] if am.endswith("2") else [(1 if unb else N_) * H, L_, S_]
            m_ = torch.rand(shp) < 0.3 if am.startswith("bool") else rn(*shp)
            if am.startswith("bool"):
                m_[..., 0] = False
            consts.append(m_); cnames.append("attnMask")

        def mha(*xs, names=names, cnames=cnames, sep=sep, bias=bias, bkv=bkv, zat=zat, nw=nw, avg=avg, bf=bf, E=E, H=H):
            d = dict(zip(names + cnames, xs))
            q, k_, v_ = [d[n_].transpose(0, 1) if bf else d[n_] for n_ in ("query", "key", "value")]
            o_, w_ = F.multi_head_attention_forward(
                q, k_, v_, E, H, d.get("in_proj_weight"), d.get("in_proj_bias"), d.get("bias_k"), d.get("bias_v"), zat, 0.0,
                d["out_proj.weight"], d.get("out_proj.bias"), training=True, key_padding_mask=d.get("keyPaddingMask"),
                need_weights=nw, attn_mask=d.get("attnMask"), use_separate_proj_weight=sep, q_proj_weight=d.get("q_proj_weight"),
                k_proj_weight=d.get("k_proj_weight"), v_proj_weight=d.get("v_proj_weight"), average_attn_weights=avg)
            if bf:
                o_ = o_.transpose(0, 1)
            return [o_] + ([w_] if nw else [])
        add("mha", dict(embedDim=E, numHeads=H, kdim=kd, vdim=vd, bias=bias, addBiasKv=bkv, addZeroAttn=zat, batchFirst=bf,
                        needWeights=nw, averageAttnWeights=avg, names=names, consts=cnames), mha, ins, consts)
        # Recurrent layers with their weights as inputs.
        kind = ch(["RNN", "LSTM", "GRU"])
        I_, H_, nl_, bi = ri(1, 4), ri(1, 4), ri(1, 3), R.random() < 0.4
        bias_, bf_ = R.random() < 0.8, R.random() < 0.3
        proj = ri(1, H_ - 1) if kind == "LSTM" and H_ > 1 and R.random() < 0.3 else 0
        nonlin = ch(["tanh", "relu"]) if kind == "RNN" else "tanh"
        kw = dict(num_layers=nl_, bias=bias_, batch_first=bf_, bidirectional=bi)
        if kind == "LSTM":
            kw["proj_size"] = proj
        if kind == "RNN":
            kw["nonlinearity"] = nonlin
        mod = getattr(nn, kind)(I_, H_, **kw)
        pnames = [n_ for n_, _ in mod.named_parameters()]
        unb_ = R.random() < 0.2
        L2, N2, D2 = ri(1, 5), ri(1, 3), 2 if bi else 1
        xin = rn(L2, I_) if unb_ else (rn(N2, L2, I_) if bf_ else rn(L2, N2, I_))
        real_ = proj or H_
        st = []
        if R.random() < 0.5:
            st.append(rn(D2 * nl_, real_) if unb_ else rn(D2 * nl_, N2, real_))
            if kind == "LSTM":
                st.append(rn(D2 * nl_, H_) if unb_ else rn(D2 * nl_, N2, H_))
        ws = [rn(*p_.shape) * 0.5 for _, p_ in mod.named_parameters()]

        def rnn_fn(*xs, mod=mod, pnames=pnames, nst=len(st), kind=kind):
            x_, sts, wts = xs[0], list(xs[1:1 + nst]), xs[1 + nst:]
            # The module with the drawn weights: its forward reads _flat_weights (which
            # torch's functional_call does not replace in 1.13).
            params = dict(zip(pnames, wts))
            mod = mod.double()
            mod._flat_weights = [params[n_] for n_ in mod._flat_weights_names]
            if kind == "LSTM" and sts:
                o_ = mod(x_, (sts[0], sts[1]))
            elif sts:
                o_ = mod(x_, sts[0])
            else:
                o_ = mod(x_)
            return [o_[0], o_[1][0], o_[1][1]] if kind == "LSTM" else [o_[0], o_[1]]
        add("recurrent", dict(kind=kind, inputSize=I_, hiddenSize=H_, numLayers=nl_, bias=bias_, batchFirst=bf_, bidirectional=bi,
                              projSize=proj, nonlinearity=nonlin, names=pnames, states=len(st)),
            rnn_fn, [xin] + st + ws)


outdir = pathlib.Path(opt.out)
outdir.mkdir(parents=True, exist_ok=True)
for fam in opt.families.split(","):
    cases, layer_cases = [], []
    data = {"nn": fam_nn, "reduce": fam_reduce, "elementwise": fam_elementwise, "loss": fam_loss, "shape": fam_shape, "norm": fam_norm, "optim": fam_optim, "extra": fam_extra}[fam]()
    payload = data if fam == "optim" else layer_cases if fam == "norm" else cases
    (outdir / f"{fam}.json").write_text(json.dumps({"family": fam, "seed": opt.seed, "cases": payload}))
    size = len(payload["optimizers"]) + len(payload["schedulers"]) if fam == "optim" else len(payload)
    print(f"{fam}: {size} cases")
