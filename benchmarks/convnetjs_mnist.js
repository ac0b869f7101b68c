// ConvNetJS's own MNIST demo network and trainer, timed in node (benchmarks/convnetjs.py).
// The network and trainer are the demo's (cs.stanford.edu/people/karpathy/convnetjs/demo/mnist.html):
// 24x24x1 input; conv 5x5 x8 stride 1 pad 2 relu; pool 2/2; conv 5x5 x16 pad 2 relu; pool 3/3;
// softmax 10; adadelta, batch_size 20, l2_decay 0.001.
//   node benchmarks/convnetjs_mnist.js DATA PASSES
// DATA: uint32 n, then n * 576 float32 pixels (row-major 24x24), then n uint8 labels: the
// images cnnplay's run trains on, already scaled the same way. Prints one JSON line.
"use strict";
const fs = require("fs");
const path = require("path");
const convnetjs = require(path.join(__dirname, "vendor", "convnetjs", "convnet.js"));

const [file, passesArg] = process.argv.slice(2);
const passes = Number(passesArg || 1);
const buf = fs.readFileSync(file);
const n = buf.readUInt32LE(0);
const side = 24;
const pixels = new Float32Array(buf.buffer, buf.byteOffset + 4, n * side * side);
const labels = new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * n * side * side, n);

// Every image as a Vol before the clock starts (the demo makes one per sample as it trains).
const vols = [];
for (let i = 0; i < n; i++) {
  const v = new convnetjs.Vol(side, side, 1, 0.0);
  v.w.set(pixels.subarray(i * side * side, (i + 1) * side * side));
  vols.push(v);
}

const layers = [
  { type: "input", out_sx: side, out_sy: side, out_depth: 1 },
  { type: "conv", sx: 5, filters: 8, stride: 1, pad: 2, activation: "relu" },
  { type: "pool", sx: 2, stride: 2 },
  { type: "conv", sx: 5, filters: 16, stride: 1, pad: 2, activation: "relu" },
  { type: "pool", sx: 3, stride: 3 },
  { type: "softmax", num_classes: 10 },
];
const net = new convnetjs.Net();
net.makeLayers(layers);
const trainer = new convnetjs.SGDTrainer(net, { method: "adadelta", batch_size: 20, l2_decay: 0.001 });

const seconds = [];
let correct = 0;
for (let p = 0; p < passes; p++) {
  correct = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    trainer.train(vols[i], labels[i]);
    if (net.getPrediction() === labels[i]) correct++;
  }
  seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
}
console.log(JSON.stringify({ samples: n, passes, seconds, last_pass_acc: correct / n, node: process.version }));
