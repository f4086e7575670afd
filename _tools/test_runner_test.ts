import assert from "node:assert/strict";
import { abortedAfterGreen } from "./test.ts";

const green = "./a_test.ts => x ... ok (1ms)\n\nok | 1542 passed | 0 failed (1m3s)\n\n";

Deno.test("an abort at exit after a green summary is recognised", () => {
  assert.ok(abortedAfterGreen(green, "double free or corruption (out)\n", 134, "SIGABRT"));
  assert.ok(abortedAfterGreen(green, "corrupted size vs. prev_size in fastbins\n", 134, null));
  assert.ok(abortedAfterGreen(green, "malloc_consolidate(): invalid chunk size\n", 134, null));
  assert.ok(
    abortedAfterGreen(
      "ok | 10 passed | 2 ignored | 0 failed (1s)\n",
      "free(): invalid pointer\n",
      134,
      "SIGABRT",
    ),
  );
});

Deno.test("anything else keeps its failure", () => {
  // Failed tests.
  assert.equal(
    abortedAfterGreen(
      "FAILED | 10 passed | 1 failed (1s)\n",
      "double free or corruption\n",
      134,
      null,
    ),
    false,
  );
  // No summary: the abort happened during the run.
  assert.equal(
    abortedAfterGreen("./a_test.ts => x ... ok\n", "double free or corruption\n", 134, null),
    false,
  );
  // Another exit status or signal.
  assert.equal(abortedAfterGreen(green, "double free or corruption\n", 1, null), false);
  assert.equal(abortedAfterGreen(green, "double free or corruption\n", 139, "SIGSEGV"), false);
  // An abort without glibc's heap message.
  assert.equal(abortedAfterGreen(green, "thread panicked\n", 134, "SIGABRT"), false);
  // Output after the summary.
  assert.equal(
    abortedAfterGreen(green + "more\n", "double free or corruption\n", 134, null),
    false,
  );
});
