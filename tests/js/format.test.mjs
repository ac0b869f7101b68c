// node --test tests/js/: every number style of the views (lib/format.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cellText, compact, decimals3, fixed3, logPercent, percent, reading, shapeText, sig3, thousands,
} from "../../frontend/js/lib/format.js";

test("counts: thousands separators and compact units", () => {
  assert.equal(thousands(11689512), "11,689,512");
  assert.equal(thousands(2.6), "3");
  assert.equal(thousands(null), "–");
  assert.equal(compact(61706), "61.7K");
  assert.equal(compact(11689512), "11.7M");
  assert.equal(compact(3.5e9), "3.5G");
  assert.equal(compact(-2000), "-2.0K");
  assert.equal(compact(999), "999");
  assert.equal(compact(undefined), "–");
});

test("shapes read as drawn: H x W x C", () => {
  assert.equal(shapeText([6, 28, 28]), "6x28x28");
  assert.equal(shapeText([6, 14, 7]), "6x14x7");
  assert.equal(shapeText([120]), "120");
  assert.equal(shapeText([5, 32]), "5x32");
  assert.equal(shapeText(null), "–");
});

// [formatter, input, text]: each view's number style, pinned case by case.
const CASES = {
  "percent keeps one decimal": [[percent, 0.9063, "90.6%"], [percent, 1, "100.0%"], [percent, 0, "0.0%"]],
  "readings: 4 decimals, exponent past 1000 or under 0.001": [
    [reading, 0.12345, "0.1235"], [reading, 0, "0.0000"], [reading, 1234.5, "1.235e+3"],
    [reading, -0.0004, "-4.000e-4"], [reading, null, "–"],
  ],
  "chart labels: 3 significant digits": [
    [sig3, 0, "0"], [sig3, 0.012345, "0.0123"], [sig3, 123.456, "123"], [sig3, 2, "2"],
    [sig3, 12345, "1.2e+4"], [sig3, -0.0001, "-1.0e-4"],
  ],
  "losses: 3 decimals, and table statistics": [
    [fixed3, 0.5, "0.500"], [fixed3, 0, "0.000"], [fixed3, 2e-5, "2.0e-5"], [fixed3, 3e4, "3.0e+4"],
    [decimals3, 2e-5, "0.000"], [decimals3, 1.23456, "1.235"], [decimals3, undefined, "–"],
  ],
  "grid cells: integers bare, else trimmed decimals": [
    [cellText, 12, "12"], [cellText, 0.5, "0.5"], [cellText, 0.125, "0.13"], [cellText, 12.34, "12.3"],
    [cellText, -0.001, "0"], [cellText, Infinity, "∞"], [cellText, -Infinity, "−∞"], [cellText, null, ""],
  ],
};

for (const [name, cases] of Object.entries(CASES)) {
  test(name, () => {
    for (const [fn, input, want] of cases) assert.equal(fn(input), want, `${fn.name}(${input})`);
  });
}

test("log axis positions are clamped percentages", () => {
  assert.equal(logPercent(1e-8, -8, 2), 0);
  assert.equal(logPercent(1e2, -8, 2), 100);
  assert.ok(Math.abs(logPercent(1e-3, -8, 2) - 50) < 1e-9);
  assert.equal(logPercent(1e9, -8, 2), 100);
  assert.equal(logPercent(0, -12, 0), 0);
  assert.equal(logPercent(-1, -12, 0), 0);
  assert.ok(Math.abs(logPercent(1e-6, -12, 0) - 50) < 1e-9);
});
