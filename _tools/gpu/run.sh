#!/bin/sh
# Runs on a lent GPU machine, in a copy of the repository with `.gpu/` from
# `_tools/gpu/prepare.sh` carried along: installs the Vulkan loader and Deno
# from `.gpu/`, prints the adapter, times PyTorch's side
# (torch_cuda_bench.py, TF32 off) and then Dendrite's (gpu_bench.ts, which
# first checks every workload against the CPU backend), and writes
# `$OUT/torch.json`, `$OUT/gpu.json` and `$OUT/log.txt`. Each step has its
# own time limit (the whole run stays under ten minutes) and a failed step
# does not stop the ones after it.
#
# Usage: sh _tools/gpu/run.sh [extra gpu_bench.ts flags, e.g. --only=W1]
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
log="$OUT/log.txt"
step() {
  echo "== $*" | tee -a "$log"
  "$@" 2>&1 | tee -a "$log"
}
for f in .gpu/*.deb; do dpkg -x "$f" / ; done
ldconfig
# Unpacked outside .gpu, so a test run here leaves nothing big to carry.
deno="$(mktemp -d)/deno"
xz -dc .gpu/deno.xz > "$deno" && chmod +x "$deno"
export DENO_DIR="$PWD/.gpu/deno_dir" NO_COLOR=1
XDG_RUNTIME_DIR=$(mktemp -d)
export XDG_RUNTIME_DIR
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
step nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv
step "$deno" --version
step timeout 60 "$deno" eval 'const a = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" }); const i = a?.info; console.log(i ? [i.vendor, i.architecture, i.device, i.description].join(" / ") : "no adapter"); console.log(JSON.stringify({ maxStorageBuffersPerShaderStage: a?.limits.maxStorageBuffersPerShaderStage, maxComputeInvocationsPerWorkgroup: a?.limits.maxComputeInvocationsPerWorkgroup, maxComputeWorkgroupStorageSize: a?.limits.maxComputeWorkgroupStorageSize }))'
step timeout 180 python3 _tools/bench/torch_cuda_bench.py --out="$OUT/torch.json"
torch=""
[ -s "$OUT/torch.json" ] && torch="--torch=$OUT/torch.json"
step timeout 330 "$deno" run -A --cached-only _tools/bench/gpu_bench.ts $torch --out="$OUT/gpu.json" "$@"
echo "run.sh: results in $OUT" | tee -a "$log"
