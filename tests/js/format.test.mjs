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
  assert.equal(shapeText([6, 28, 28]), "28x28x6");
  assert.equal(shapeText([6, 14, 7]), "14x7x6");
  assert.equal(shapeText([120]), "120");
  assert.equal(shapeText([5, 32]), "5x32");
  assert.equal(shapeText(null), "–");
});

test("percent keeps one decimal", () => {
  assert.equal(percent(0.9063), "90.6%");
  assert.equal(percent(1), "100.0%");
  assert.equal(percent(0), "0.0%");
});

test("readings: 4 decimals, exponent past 1000 or under 0.001", () => {
  assert.equal(reading(0.12345), "0.1235");
  assert.equal(reading(0), "0.0000");
  assert.equal(reading(1234.5), "1.235e+3");
  assert.equal(reading(-0.0004), "-4.000e-4");
  assert.equal(reading(null), "–");
});

test("chart labels: 3 significant digits", () => {
  assert.equal(sig3(0), "0");
  assert.equal(sig3(0.012345), "0.0123");
  assert.equal(sig3(123.456), "123");
  assert.equal(sig3(2), "2");
  assert.equal(sig3(12345), "1.2e+4");
  assert.equal(sig3(-0.0001), "-1.0e-4");
});

test("losses: 3 decimals, and table statistics", () => {
  assert.equal(fixed3(0.5), "0.500");
  assert.equal(fixed3(0), "0.000");
  assert.equal(fixed3(2e-5), "2.0e-5");
  assert.equal(fixed3(3e4), "3.0e+4");
  assert.equal(decimals3(2e-5), "0.000");
  assert.equal(decimals3(1.23456), "1.235");
  assert.equal(decimals3(undefined), "–");
});

test("grid cells: integers bare, else trimmed decimals", () => {
  assert.equal(cellText(12), "12");
  assert.equal(cellText(0.5), "0.5");
  assert.equal(cellText(0.125), "0.13");
  assert.equal(cellText(12.34), "12.3");
  assert.equal(cellText(-0.001), "0");
  assert.equal(cellText(Infinity), "∞");
  assert.equal(cellText(-Infinity), "−∞");
  assert.equal(cellText(null), "");
});

test("log axis positions are clamped percentages", () => {
  assert.equal(logPercent(1e-8, -8, 2), 0);
  assert.equal(logPercent(1e2, -8, 2), 100);
  assert.ok(Math.abs(logPercent(1e-3, -8, 2) - 50) < 1e-9);
  assert.equal(logPercent(1e9, -8, 2), 100);
  assert.equal(logPercent(0, -12, 0), 0);
  assert.equal(logPercent(-1, -12, 0), 0);
  assert.ok(Math.abs(logPercent(1e-6, -12, 0) - 50) < 1e-9);
});
