import assert from "node:assert/strict";
import {
  BackendError,
  getBackend,
  hasKernel,
  listBackends,
  setBackend,
  tensor,
} from "@dendrite/tensor";
import { assertThrowsMessage } from "@dendrite/tensor/testing";

async function runWithEnv(code: string, env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    env,
    cwd: new URL("../..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("getBackend defaults to cpu and setBackend switches", () => {
  assert.ok(listBackends().includes("cpu"));
  setBackend("cpu");
  assert.equal(getBackend().name, "cpu");
  assert.equal(tensor([1]).backend.name, "cpu");
});

Deno.test("setBackend rejects an unknown backend with the registered names", () => {
  assertThrowsMessage(
    () => setBackend("tpu"),
    BackendError,
    'Cannot select backend "tpu" in setBackend(): registered backends are "cpu"',
  );
});

Deno.test("DENDRITE_BACKEND selects the backend and names an unknown one", async () => {
  const code = 'import { getBackend } from "@dendrite/tensor"; console.log(getBackend().name);';
  const ok = await runWithEnv(code, { DENDRITE_BACKEND: "cpu" });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), "cpu");
  const bad = await runWithEnv(code, { DENDRITE_BACKEND: "webgpu" });
  assert.notEqual(bad.code, 0);
  assert.match(
    bad.stderr,
    /Cannot select backend "webgpu" from DENDRITE_BACKEND: registered backends are "cpu" \(initialise WebGPU first\)/,
  );
});

Deno.test("core kernels are registered for cpu", () => {
  for (const k of ["MatMul", "Reduce", "SliceScatter"]) assert.ok(hasKernel(k, "cpu"), k);
});
