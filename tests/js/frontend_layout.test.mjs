// node --test tests/js/: the frontend's layering (issue 12). A view imports only lib/,
// api.js, dom.js, widgets/ and its own folder; widgets import no view; lib/ imports only
// lib/ and touches no DOM; no source file reaches 400 lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), "../../frontend");
const JS = join(FRONTEND, "js");

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "vendor" ? [] : files(join(dir, e.name))) : [join(dir, e.name)],
  );
}

/** [file, resolved target relative to frontend/js] for each relative import; bare ones ("uplot") kept as they are. */
function imports(file) {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^import[^"]*"([^"]+)";/gm)].map(([, spec]) =>
    spec.startsWith(".") ? relative(JS, resolve(dirname(file), spec)) : spec,
  );
}

const sources = files(JS).filter((f) => f.endsWith(".js"));
// The code without its comments (comments may well mention window.padded or fetch()).
const code = (file) => readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");

test("a view imports only lib/, api.js, dom.js, widgets/, the vendor map and its own folder", () => {
  for (const file of sources.filter((f) => relative(JS, f).startsWith("views/"))) {
    const rel = relative(JS, file); // views/train.js or views/train/setup.js
    const view = rel.split("/")[1].replace(/\.js$/, "");
    for (const target of imports(file)) {
      const ok = target === "api.js" || target === "dom.js" || target === "uplot" ||
        target.startsWith("lib/") || target.startsWith("widgets/") || target.startsWith(`views/${view}/`);
      assert.ok(ok, `${rel} imports ${target}`);
    }
  }
});

test("widgets import no view; lib/ imports only lib/ and uses no DOM", () => {
  for (const file of sources) {
    const rel = relative(JS, file);
    if (rel.startsWith("widgets/")) {
      for (const t of imports(file)) assert.ok(!t.startsWith("views/") && t !== "api.js", `${rel} imports ${t}`);
    }
    if (rel.startsWith("lib/")) {
      for (const t of imports(file)) assert.ok(t.startsWith("lib/"), `${rel} imports ${t}`);
      assert.doesNotMatch(code(file), /\bdocument\.|\bwindow\.|\bfetch\(/, rel);
    }
  }
});

test("only api.js calls fetch", () => {
  for (const file of sources.filter((f) => relative(JS, f) !== "api.js")) {
    assert.doesNotMatch(code(file), /\bfetch\(/, relative(JS, file));
  }
});

test("every frontend source file stays under 400 lines", () => {
  for (const file of files(FRONTEND).filter((f) => /\.(js|css|html)$/.test(f))) {
    const lines = readFileSync(file, "utf8").split("\n").length - 1;
    assert.ok(lines < 400, `${relative(FRONTEND, file)}: ${lines} lines`);
  }
});
