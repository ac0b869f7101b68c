// node --test tests/js/: the Inside-learning setup in the hash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CONTROLS, PANELS, parseSetup, setupHash } from "../../frontend/js/lib/learn_setup.js";

test("a hash gives back the panel and the controls it names", () => {
  const s = parseSetup("panel=init&init-depth=25&init-act=relu&bogus=1");
  assert.deepEqual(s, { panel: "init", values: { "init-depth": "25", "init-act": "relu" } });
});

test("an unknown panel or an empty hash is no panel", () => {
  assert.deepEqual(parseSetup("panel=nope"), { panel: null, values: {} });
  assert.deepEqual(parseSetup(""), { panel: null, values: {} });
  assert.deepEqual(parseSetup(undefined), { panel: null, values: {} });
});

test("defaults stay out of the link; the round trip is exact", () => {
  const defaults = { "init-depth": "10", "init-act": "tanh", budget: "1" };
  const setup = { panel: "init", values: { "init-depth": "25", "init-act": "tanh", budget: "1.5" } };
  const hash = setupHash(setup, defaults);
  assert.equal(hash, "#learn/panel=init&init-depth=25&budget=1.5");
  assert.deepEqual(parseSetup(hash.slice("#learn/".length)), {
    panel: "init", values: { "init-depth": "25", budget: "1.5" },
  });
  assert.equal(setupHash({ panel: null, values: defaults }, defaults), "#learn");
});

test("every panel has a title and a blurb; control names are unique", () => {
  assert.equal(PANELS.length, 9);
  for (const p of PANELS) assert.ok(p.id && p.title && p.blurb.endsWith("."));
  assert.equal(new Set(CONTROLS).size, CONTROLS.length);
});
