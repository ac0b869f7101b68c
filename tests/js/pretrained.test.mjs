// node --test tests/js/: pretrained weights as people read them (lib/pretrained.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  etaText, imagenetByZoo, importChoices, sizeText, predictionText, progressOf, refusalParts,
  probText, torchvisionZoos, zooMark,
} from "../../frontend/js/lib/pretrained.js";

const r18 = { name: "imagenet-resnet18", kind: "imagenet", zoo: "resnet18", bytes: 46830453, status: "absent", progress: null };

test("sizes and times left", () => {
  assert.equal(sizeText(46830453), "46.8 MB");
  assert.equal(sizeText(528e6), "528.0 MB");
  assert.equal(sizeText(8 * 2 ** 30), "8.6 GB");
  assert.equal(sizeText(2500), "3 KB");
  assert.equal(sizeText(null), "?");
  assert.equal(etaText(7.6), "about 8 s left");
  assert.equal(etaText(0.2), "about 1 s left");
  assert.equal(etaText(150), "about 3 min left");
  assert.equal(etaText(null), "");
});

test("a download's progress: bytes of the total, the ETA, converting at the end", () => {
  const going = { ...r18, status: "downloading", progress: { done: 23415226, total: 46830452, eta_s: 12 } };
  assert.deepEqual(progressOf(going), { fraction: 0.5, text: "23.4 MB of 46.8 MB · about 12 s left" });
  // Before the server knows the size: the manifest's approximate bytes; no ETA yet.
  const early = { ...r18, status: "downloading", progress: { done: 0, total: null, eta_s: null } };
  assert.deepEqual(progressOf(early), { fraction: 0, text: "0 KB of 46.8 MB" });
  assert.equal(progressOf({ ...r18, status: "converting", progress: { done: 1, total: 1, eta_s: null } }).fraction, 1);
  assert.deepEqual(progressOf(r18), { fraction: null, text: "" });
});

test("the zoo's marks come from the ImageNet items only", () => {
  const items = [{ name: "mnist_cnn", kind: "shipped", zoo: "mnist_cnn" }, r18, { ...r18, zoo: "alexnet", status: "ready" }];
  const by = imagenetByZoo(items);
  assert.deepEqual([...by.keys()], ["resnet18", "alexnet"]);
  assert.equal(zooMark(by.get("alexnet")), "ImageNet weights ready");
  assert.equal(zooMark(by.get("resnet18")), "ImageNet weights downloadable, 46.8 MB");
  assert.equal(zooMark({ ...r18, status: "converting" }), "ImageNet weights downloading");
  assert.equal(zooMark(by.get("mnist_cnn")), "");
});

test("a refused import names each bad key", () => {
  const tv = refusalParts("file: not a torchvision resnet18 checkpoint: fc.weight: missing from the file (expected [1000, 512]); layer9.bias: in the file but not in torchvision's resnet18");
  assert.equal(tv.head, "not a torchvision resnet18 checkpoint");
  assert.deepEqual(tv.keys, [
    { key: "fc.weight", rest: ": missing from the file (expected [1000, 512])" },
    { key: "layer9.bias", rest: ": in the file but not in torchvision's resnet18" },
  ]);
  const ours = refusalParts("file: weights do not fit the network: layers.0.weight: shape [6, 1, 5, 5]");
  assert.equal(ours.head, "weights do not fit the network");
  assert.deepEqual(ours.keys, [{ key: "layers.0.weight", rest: ": shape [6, 1, 5, 5]" }]);
  assert.deepEqual(refusalParts("file: the .pth file holds an empty state_dict"), { head: "the .pth file holds an empty state_dict", keys: [] });
});

test("predictions read as 'daisy 0.87'", () => {
  assert.equal(predictionText({ label: "daisy", p: 0.8712 }), "daisy 0.87");
  assert.equal(predictionText({ label: "7", p: 1 }), "7 1.00");
  assert.equal(probText(0.00123), "0.001");
  assert.equal(probText(0.0000456), "0.00005");
  assert.equal(probText(0), "0.00");
});

test("an import is for the shown spec or a torchvision architecture", () => {
  const zoo = [{ name: "lenet5", title: "LeNet-5" }, { name: "resnet18", title: "ResNet-18" }];
  const tv = torchvisionZoos(zoo, [r18]);
  assert.deepEqual(tv, [{ name: "resnet18", title: "ResNet-18" }]);
  assert.deepEqual(importChoices("MNIST CNN", tv), [
    { value: "spec", label: "MNIST CNN (cnnplay file)" },
    { value: "zoo:resnet18", label: "ResNet-18 (torchvision file)" },
  ]);
  assert.deepEqual(importChoices(null, tv).map((c) => c.value), ["zoo:resnet18"]);
});
