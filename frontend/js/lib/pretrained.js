// Pretrained weights as people read them (issue 17; no DOM): download sizes and ETAs, the
// state of an official ImageNet download, the zoo's marks, a refused import's keys and
// top-5 predictions ("daisy 0.87").

const MB = 1e6;

/** 46830453 -> "46.8 MB"; under 0.1 MB in KB, from 1 GB in GB; null -> "?". */
export function sizeText(n) {
  if (n == null) return "?";
  if (n < 1e5) return `${Math.round(n / 1e3)} KB`;
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  return `${(n / MB).toFixed(1)} MB`;
}

/** Seconds left -> "about 8 s left" / "about 3 min left"; null (unknown yet) -> "". */
export function etaText(s) {
  if (s == null || !Number.isFinite(s)) return "";
  if (s < 60) return `about ${Math.max(1, Math.round(s))} s left`;
  return `about ${Math.round(s / 60)} min left`;
}

/** A GET /api/pretrained item's progress as {fraction (0..1 or null), text}. `total`
 * falls back to the manifest's approximate `bytes` until the server knows the size. */
export function progressOf(item) {
  const p = item.progress;
  if (item.status === "converting") return { fraction: 1, text: "Converting to cnnplay's layer paths…" };
  if (!p) return { fraction: null, text: "" };
  const total = p.total ?? item.bytes ?? null;
  const fraction = total ? Math.min(1, p.done / total) : null;
  const eta = etaText(p.eta_s);
  return { fraction, text: `${sizeText(p.done)} of ${sizeText(total)}${eta ? ` · ${eta}` : ""}` };
}

/** The official ImageNet items of GET /api/pretrained by zoo name. */
export function imagenetByZoo(items) {
  return new Map(items.filter((i) => i.kind === "imagenet").map((i) => [i.zoo, i]));
}

/** A zoo picker's mark for an architecture's ImageNet weights ("" without any). */
export function zooMark(item) {
  if (!item) return "";
  if (item.status === "ready") return "ImageNet weights ready";
  if (item.status === "downloading" || item.status === "converting") return "ImageNet weights downloading";
  return `ImageNet weights downloadable, ${sizeText(item.bytes)}`;
}

/** A refused import's message -> {head, keys: [{key, rest}]}: the server names each bad key
 * as "<key>: <what is wrong>" after "the network: " (a cnnplay file) or "checkpoint: " (a
 * torchvision file), separated by "; ". */
export function refusalParts(message) {
  const text = message.replace(/^file: /, "");
  const marks = ["the network: ", "checkpoint: "];
  const hit = marks.map((m) => [m, text.indexOf(m)]).find(([, at]) => at >= 0);
  if (!hit) return { head: text, keys: [] };
  const [mark, at] = hit;
  const head = text.slice(0, at + mark.length - 2);
  const keys = text.slice(at + mark.length).split("; ").map((t) => {
    const colon = t.indexOf(":");
    return colon < 0 ? { key: t, rest: "" } : { key: t.slice(0, colon), rest: t.slice(colon) };
  });
  return { head, keys };
}

/** A probability as read beside its label: 0.8712 -> "0.87"; under 0.01 one significant
 * digit (0.00123 -> "0.001"), so a near-uniform guess does not read as five zeros. */
export const probText = (p) => (p >= 0.01 || p === 0 ? p.toFixed(2) : p.toPrecision(1));

/** A prediction as one line: {label: "daisy", p: 0.8712} -> "daisy 0.87". */
export const predictionText = (p) => `${p.label} ${probText(p.p)}`;


/** What an "Import weights" file can be for: the shown network's spec (a cnnplay
 * .safetensors; when there is one) and each architecture torchvision checkpoints import
 * into (`zoos`: [{name, title}]) -> [{value: "spec" | "zoo:<name>", label}]. */
export function importChoices(specName, zoos) {
  const own = specName ? [{ value: "spec", label: `${specName} (cnnplay file)` }] : [];
  return own.concat(zoos.map((z) => ({ value: `zoo:${z.name}`, label: `${z.title ?? z.name} (torchvision file)` })));
}

/** The zoo entries ([{name, title}]) that have official ImageNet weights, i.e. the ones
 * torchvision checkpoints import into, in the zoo's order. */
export function torchvisionZoos(zoo, items) {
  const by = imagenetByZoo(items);
  return zoo.filter((z) => by.has(z.name));
}
