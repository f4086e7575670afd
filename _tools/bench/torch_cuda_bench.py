"""PyTorch's side of gpu_bench.ts on a CUDA machine: the same matmul and
conv2d workloads in fp32 with TF32 off, timed alike (warm-ups, median of
timed runs, each ending with a synchronize), written as JSON that
`deno task bench:gpu --torch=FILE` reads.

Run: python3 _tools/bench/torch_cuda_bench.py [--sizes=256,...] [--out=torch_cuda.json]
"""
import json
import statistics
import sys
import time

import torch

args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
sizes = [int(s) for s in args.get("sizes", "256,512,1024,2048,4096").split(",")]
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")
torch.manual_seed(1234)


def bench(step, warmup=3, iters=10):
    for _ in range(warmup):
        step()
        torch.cuda.synchronize()
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        torch.cuda.synchronize()
        ts.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": statistics.median(ts), "min_ms": min(ts), "max_ms": max(ts)}


results = {}
for n in sizes:
    a = torch.randn(n, n, device=dev)
    b = torch.randn(n, n, device=dev)
    r = bench(lambda: a @ b)
    r["gflops"] = 2 * n**3 / (r["median_ms"] * 1e6)
    results[f"W1_matmul_{n}"] = r

convs = [
    ("W2_conv_a", 64, 1, 32, 28),
    ("W2_conv_b", 64, 32, 64, 14),
    ("conv3x3_64ch_56", 32, 64, 64, 56),
]
for cid, n, cin, cout, hw in convs:
    x = torch.randn(n, cin, hw, hw, device=dev)
    w = torch.randn(cout, cin, 3, 3, device=dev) / (9 * cin) ** 0.5
    dy = torch.randn(n, cout, hw, hw, device=dev)
    flops = 2 * n * cout * hw * hw * cin * 9
    with torch.no_grad():
        r = bench(lambda: torch.nn.functional.conv2d(x, w, padding=1))
    r["gflops"] = flops / (r["median_ms"] * 1e6)
    results[f"{cid}_fwd"] = r
    xr = x.clone().requires_grad_()
    wr = w.clone().requires_grad_()

    def fwdbwd():
        y = torch.nn.functional.conv2d(xr, wr, padding=1)
        return torch.autograd.grad(y, [xr, wr], dy)

    r = bench(fwdbwd)
    r["gflops"] = 3 * flops / (r["median_ms"] * 1e6)
    results[f"{cid}_fwdbwd"] = r

info = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "tf32": False}
out = json.dumps({"info": info, "results": results}, indent=2)
if "out" in args:
    open(args["out"], "w").write(out + "\n")
print(out)
