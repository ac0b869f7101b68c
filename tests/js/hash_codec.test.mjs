// node --test tests/js/: a whole design in a URL hash (lib/hash_codec.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeSpec, encodeSpec } from "../../frontend/js/lib/hash_codec.js";

const SPEC = {
  name: "Größe – ネット",
  input: { channels: 3, height: 32, width: 32 },
  layers: [{ type: "conv2d", out_channels: 8, kernel_size: 3, padding: "same" }, { type: "flatten" }],
};

test("a spec survives the round trip, names in any script included", () => {
  assert.deepEqual(decodeSpec(encodeSpec(SPEC)), SPEC);
});

test("the text is base64url without padding: safe in a hash", () => {
  const text = encodeSpec(SPEC);
  assert.match(text, /^[A-Za-z0-9_-]+$/);
  const std = Buffer.from(JSON.stringify(SPEC), "utf8").toString("base64url");
  assert.equal(text, std);
});

test("a large spec (beyond one String.fromCharCode chunk) round-trips", () => {
  const big = { ...SPEC, layers: Array.from({ length: 3000 }, (_, i) => ({ type: "linear", out_features: i + 1 })) };
  assert.ok(JSON.stringify(big).length > 0x8000);
  assert.deepEqual(decodeSpec(encodeSpec(big)), big);
});

test("anything that is not an encoded spec decodes to null", () => {
  assert.equal(decodeSpec("%%%"), null);
  assert.equal(decodeSpec(Buffer.from("[1,2]").toString("base64url")), null);
  assert.equal(decodeSpec(Buffer.from('{"name":"x"}').toString("base64url")), null);
  assert.equal(decodeSpec(""), null);
});
