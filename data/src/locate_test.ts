import assert from "node:assert/strict";
import { downloadFile, findDatasetFiles, md5Hex } from "@dendrite/data";

Deno.test("md5Hex matches the RFC 1321 test vectors", () => {
  const enc = new TextEncoder();
  assert.equal(md5Hex(enc.encode("")), "d41d8cd98f00b204e9800998ecf8427e");
  assert.equal(
    md5Hex(enc.encode("The quick brown fox jumps over the lazy dog")),
    "9e107d9d372bb6826bd81d3542a419d6",
  );
});

Deno.test("findDatasetFiles takes the first folder holding every file, plain or .gz", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  await Deno.writeTextFile(`${a}/x.bin`, "1"); // a lacks y.bin
  await Deno.writeTextFile(`${b}/x.bin.gz`, "1");
  await Deno.writeTextFile(`${b}/y.bin`, "1");
  const places = [{ dir: undefined, source: "$VAR" }, { dir: a, source: "first" }, {
    dir: b,
    source: "second",
  }];
  const r = findDatasetFiles(places, ["x.bin", "y.bin"]);
  assert.ok("dir" in r);
  assert.equal(r.dir, b);
  assert.deepEqual(r.paths, [`${b}/x.bin.gz`, `${b}/y.bin`]);
  const miss = findDatasetFiles(places.slice(0, 2), ["x.bin", "y.bin"]);
  assert.ok("report" in miss);
  assert.deepEqual(miss.report, ["$VAR: not set", `${a} (first): missing y.bin[.gz]`]);
});

Deno.test("downloadFile verifies the MD5 and writes only verified files", async () => {
  const body = new TextEncoder().encode("idx bytes ".repeat(1000));
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    (req) =>
      new URL(req.url).pathname === "/a.gz"
        ? new Response(body, { headers: { "content-length": String(body.length) } })
        : new Response("no", { status: 404 }),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const dir = await Deno.makeTempDir();
  try {
    const got = await downloadFile(`${base}/a.gz`, `${dir}/sub/a.gz`, {
      md5: md5Hex(body),
      progress: false,
    });
    assert.deepEqual(got, body);
    assert.deepEqual(await Deno.readFile(`${dir}/sub/a.gz`), body);
    await assert.rejects(
      downloadFile(`${base}/a.gz`, `${dir}/b.gz`, { md5: "0".repeat(32), progress: false }),
      {
        message: `Checksum mismatch for ${base}/a.gz: MD5 ${md5Hex(body)}, expected ${
          "0".repeat(32)
        }`,
      },
    );
    assert.equal(await Deno.stat(`${dir}/b.gz`).catch(() => null), null);
    await assert.rejects(
      downloadFile(`${base}/missing`, `${dir}/c.gz`, { progress: false }),
      { message: `HTTP 404 Not Found for ${base}/missing` },
    );
  } finally {
    ac.abort();
    await server.finished;
  }
});
