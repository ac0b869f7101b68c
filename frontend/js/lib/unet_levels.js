// A U-Net's levels from its layer list (issue 16), pure: no DOM. In a NetworkSpec a U-Net's
// skip connections are nested `residual` blocks with `concat` whose body ends going back up (a transposed conv or
// upsample): at each nesting level the
// layers before the block are the encoder at that level, the block's body goes one level
// down (and back up), and the layers after it are the decoder at that level. For every
// level k this finds the encoder's last output and the decoder's last output, so the
// feature-map view can show them side by side.

const children = (layers, prefix) =>
  layers.filter((l) => l.path.startsWith(`${prefix}.`) && !l.path.slice(prefix.length + 1).includes("."));

const index = (path) => Number(path.slice(path.lastIndexOf(".") + 1));
const UP = new Set(["conv_transpose2d", "upsample"]);
// A level's output: its last layer that is not the way up (nor a top-level 1x1 head).
const output = (list) => lastLeaf(list.filter((l) => !UP.has(l.type) && l.type !== "conv2d"));

// A skip block of a U-Net: a residual whose body ends by going back up.
function isSkip(layers, l) {
  if (l.type !== "residual") return false;
  const body = children(layers, `${l.path}.body`);
  return body.length > 0 && UP.has(body.at(-1).type);
}

/** layers: [{path, type, ...}] in order (the overview's). Returns [{level, encoder, decoder}]
 * (layer paths) from the top level down, and the bottleneck's last layer as the deepest
 * level's encoder (decoder null); [] when the network has no concat skip block. */
export function unetLevels(layers) {
  const out = [];
  let prefix = "layers";
  for (let level = 1; level < 32; level++) {
    const kids = children(layers, prefix);
    const skip = kids.find((l) => isSkip(layers, l));
    if (!skip) {
      if (out.length) out.push({ level, encoder: output(kids), decoder: null }); // the bottleneck
      return out;
    }
    const r = index(skip.path);
    const before = kids.filter((l) => index(l.path) < r);
    const after = kids.filter((l) => index(l.path) > r);
    out.push({ level, encoder: output(before), decoder: output(after) });
    prefix = `${skip.path}.body`;
  }
  return out;
}

function lastLeaf(list) {
  return list.length ? list.at(-1).path : null;
}
