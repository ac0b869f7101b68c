// The designer's starting points: a blank network and two small templates (data, like a
// zoo entry; every value is explicit on purpose).
export const BLANK = { name: "Untitled", input: { channels: 1, height: 28, width: 28 }, layers: [] };
export const TEMPLATES = {
  small_cnn: {
    name: "Small CNN",
    input: { channels: 1, height: 28, width: 28 },
    layers: [
      { type: "conv2d", out_channels: 8, kernel_size: 3, padding: 1 },
      { type: "relu" },
      { type: "maxpool2d", kernel_size: 2 },
      { type: "conv2d", out_channels: 16, kernel_size: 3, padding: 1 },
      { type: "relu" },
      { type: "maxpool2d", kernel_size: 2 },
      { type: "flatten" },
      { type: "linear", out_features: 10 },
    ],
  },
  residual_demo: {
    name: "Residual demo",
    input: { channels: 3, height: 32, width: 32 },
    layers: [
      { type: "conv2d", out_channels: 16, kernel_size: 3, padding: 1 },
      {
        type: "residual",
        body: [
          { type: "conv2d", out_channels: 16, kernel_size: 3, padding: 1 },
          { type: "batchnorm2d" },
          { type: "relu" },
        ],
        shortcut: [],
        merge: "add",
      },
      { type: "global_avgpool2d" },
      { type: "flatten" },
      { type: "linear", out_features: 10 },
    ],
  },
};
