#!/bin/sh
# Packs what a lent GPU machine needs to run Dendrite's WebGPU benchmark
# (see ../shared/tools/GPU.md; that machine has no network and no Deno):
# the pinned Deno binary (xz-compressed), the Vulkan loader's Debian
# packages, and a DENO_DIR with the project's npm dependencies. Writes
# `.gpu/` (git-ignored) in the repository root; run it there, here, once per
# checkout. Then `_tools/gpu/run.sh` runs on the device with `.gpu` carried.
set -eu
cd "$(dirname "$0")/../.."
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo /.gpu/ >> .git/info/exclude
mkdir -p .gpu
rm -f .gpu/deno # an unpacked binary (95 MB) must not travel
bin=$(find .tools -path '*linux-x64-glibc/deno' -type f | head -1)
if [ -z "$bin" ]; then
  echo "prepare.sh: no Deno under .tools (npm install --prefix .tools deno@2.9.6 first)" >&2
  exit 1
fi
if [ ! -s .gpu/deno.xz ] || [ "$bin" -nt .gpu/deno.xz ]; then
  xz -T2 -6 -c "$bin" > .gpu/deno.xz.part && mv .gpu/deno.xz.part .gpu/deno.xz
fi
(cd .gpu && apt-get download libvulkan1 libegl1 libglvnd0 >/dev/null)
DENO_DIR=.gpu/deno_dir "$bin" cache mod.ts _tools/bench/gpu_bench.ts
# TypeScript's npm package (23 MB of the 64 MiB a device call carries) is not
# needed to run anything: --cached-only runs start without it.
rm -rf .gpu/deno_dir/npm/registry.npmjs.org/typescript
du -sh .gpu
echo "prepare.sh: ready; on the device: sh _tools/gpu/run.sh (carry .gpu)"
