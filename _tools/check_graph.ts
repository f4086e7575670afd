/**
 * Checks the package dependency graph of the workspace: members import each
 * other only by bare name (`@dendrite/tensor`), never by relative paths that
 * leave their folder, and only along the allowed one-way edges of
 * shared/DESIGN.md. Exits non-zero listing every violation.
 *
 * Run: `deno run --allow-read _tools/check_graph.ts`
 *
 * @module
 */
const allowed: Record<string, string[]> = {
  tensor: [],
  autograd: ["tensor"],
  layers: ["tensor", "autograd"],
  losses: ["tensor", "autograd"],
  optimizers: ["tensor", "autograd"],
  data: ["tensor"],
  vision: ["tensor", "autograd", "layers", "losses", "optimizers", "data"],
  sequence: ["tensor", "autograd", "layers", "losses", "optimizers", "data"],
  generative: ["tensor", "autograd", "layers", "losses", "optimizers", "data"],
  "metric-learning": ["tensor", "autograd", "layers", "losses", "optimizers", "data"],
  distill: ["tensor", "autograd", "layers", "losses", "optimizers", "data"],
  examples: [
    "tensor",
    "autograd",
    "layers",
    "losses",
    "optimizers",
    "data",
    "vision",
    "sequence",
    "generative",
    "metric-learning",
    "distill",
  ],
};

const root = new URL("..", import.meta.url).pathname;
const problems: string[] = [];
const importRe =
  /^\s*(?:import|export)[^"']*?from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm;

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

for (const member of Object.keys(allowed)) {
  const dir = `${root}${member}`;
  for await (const file of walk(dir)) {
    const rel = file.slice(root.length);
    // Tests, benchmarks and doc examples may use any package; module code may not.
    if (/_(test|bench)\.ts$/.test(file)) continue;
    const text = (await Deno.readTextFile(file)).replace(/\/\*[\s\S]*?\*\//g, "");
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith(".")) {
        const target = new URL(spec, `file://${file}`).pathname;
        if (!target.startsWith(`${dir}/`) && !rel.startsWith("examples/")) {
          problems.push(
            `${rel}: relative import "${spec}" leaves ${member}/; import by package name`,
          );
        }
      } else if (spec.startsWith("@dendrite/")) {
        const dep = spec.slice("@dendrite/".length).split("/")[0];
        if (dep !== member && !allowed[member].includes(dep)) {
          problems.push(`${rel}: ${member} must not depend on @dendrite/${dep}`);
        }
      }
    }
  }
}

if (problems.length) {
  console.error(problems.join("\n"));
  Deno.exit(1);
}
console.log("dependency graph ok");
