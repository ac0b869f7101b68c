// The transfer section's data: the target tasks it always offers, the sizes and steps of
// its races, the three modes and the textbook's four scenarios with what issue 7 measured.

// The source task's sibling: same digits, other classes. Always offered, even before the
// dataset list answers.
export const DIGITS_5_9 = {
  key: "mnist:5-9",
  label: "MNIST digits 5-9 (similar problem)",
  short: "digits 5-9",
  dataset: "mnist",
  classes: [5, 6, 7, 8, 9],
  k: 5,
};
export const PER_CLASS = [10, 50, 500];
// Steps that let every size learn (measured in issue 7's report); the epochs are set to
// reach them (digits 5-9 at batch 25: 10/class -> 2 steps an epoch, 40 epochs).
export const STEPS_FOR = { 10: 80, 50: 80, 500: 100 };
// The guide's presets start from the tiny ResNet: with mnist_cnn, training from scratch
// is as quick as any transfer on these easy digits (issue 7's measurements).
export const PRESET_NET = "tiny_resnet_digits04";
export const MODES = {
  frozen: {
    title: "Frozen feature extractor",
    hint: "Only the layers after the flatten train; every conv layer keeps its pretrained filters. On the tiny ResNet that is just the head, on 32 features shaped by the 5 source digits.",
  },
  later: {
    title: "Fine-tune the later layers",
    hint: "The layers you lock in the designer stay frozen (by default the first conv stage); the rest adapts.",
  },
  all: {
    title: "Fine-tune everything, smaller learning rate",
    hint: "Nothing frozen; pretrained layers learn at lr / 10, the new head at lr.",
  },
};
// The textbook's four scenarios: target data size x similarity to the source problem.
// `measured`: the tiny ResNet from digits 0-4, batch 25, lr 0.003, fixed seeds (issue 7).
// With little data the textbook freezes the whole extractor; here that leaves a head on 32
// pooled features shaped by 5 source digits (72% at 10 per class), so the preset keeps the
// early filters frozen and fine-tunes the later blocks instead.
// Columns: data size, similarity to the source, mode, images per class, target task, why,
// what was measured.
const SCENARIOS = [
  ["Little data", "similar problem", "later", 10, "mnist:5-9", "too little data to retrain everything: keep the pretrained filters, adapt the last blocks", "measured, mean of 3 seeds: 90.6% vs 71.6% from scratch in 80 steps (frozen extractor: 72.3%)"],
  ["Much data", "similar problem", "all", 500, "mnist:5-9", "enough data to adapt every layer without overfitting", "measured: 95.4% vs 91.4% from scratch in 100 steps: the gap closes"],
  ["Little data", "different problem", "later", 10, "digits", "keep only the generic early filters, retrain the specific ones", "measured: 87.7% vs 80.8% from scratch in 80 steps (frozen extractor: 59.1%)"],
  ["Much data", "different problem", "all", 500, "digits", "pretrained weights are still a better start than random ones", "measured on all 1,438 digits: 84.1% vs 78.6% from scratch in 116 steps"],
];
export const GUIDE = SCENARIOS.map(([data, problem, mode, n, target, why, measured]) => ({
  data, problem, mode, n, target, why, measured,
}));
