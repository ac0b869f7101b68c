// The only caller of fetch(). Every function returns parsed JSON or throws an
// ApiError whose message is the server's "detail", readable by a person.

export class ApiError extends Error {
  constructor(status, detail) {
    super(ApiError.text(detail));
    this.status = status;
    this.detail = detail;
  }

  static text(detail) {
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) return detail.map((d) => `${d.field ?? ""}: ${d.msg}`).join("; ");
    return JSON.stringify(detail);
  }
}

// Signing in (issue 14): a 401 asks the handler main.js registers (the "paste your
// token" screen) and the request is sent again once it resolves, so views never see
// a 401 of their own; all requests waiting meanwhile share the one screen.
let askSignIn = null;
let signingIn = null;

/** Register fn() -> Promise that resolves once the browser is signed in. */
export function onSignInNeeded(fn) {
  askSignIn = fn;
}

function signInOnce() {
  signingIn ??= Promise.resolve(askSignIn()).finally(() => (signingIn = null));
  return signingIn;
}

async function request(method, path, body, opts = {}) {
  const res = await send(method, path, body, opts);
  if (res.status === 401 && askSignIn && !opts.noSignIn) {
    await signInOnce();
    return finish(await send(method, path, body, opts), opts);
  }
  return finish(res, opts);
}

function send(method, path, body, { signal, keepalive = false } = {}) {
  const init = { method, signal, headers: {} };
  if (keepalive) init.keepalive = true; // outlives the page (a run stopped as it closes)
  if (body instanceof FormData || body instanceof Blob) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init);
}

async function finish(res, { raw = false } = {}) {
  if (!res.ok) {
    let detail = res.statusText;
    try {
      detail = (await res.json()).detail ?? detail;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, detail);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

export const getJSON = (path, opts) => request("GET", path, undefined, opts);
export const postJSON = (path, body, opts) => request("POST", path, body, opts);
export const putJSON = (path, body, opts) => request("PUT", path, body, opts);
export const del = (path, opts) => request("DELETE", path, undefined, opts);
export const getRaw = (path, opts) => request("GET", path, undefined, { ...opts, raw: true });
export const postRaw = (path, body, opts) => request("POST", path, body, { ...opts, raw: true });

// --- sign-in and the class (issue 14) ------------------------------------------
const quiet = { noSignIn: true }; // these answer 401 to the sign-in screen itself
export const me = () => getJSON("/api/me", quiet);
export const signIn = (token) => postJSON("/api/signin", { token }, quiet);
export const signOut = () => postJSON("/api/signout", undefined, quiet);
export const joinClass = (code, name) => postJSON("/api/join", { code, name }, quiet);
export const classCode = () => getJSON("/api/class-code");
export const newClassCode = () => postJSON("/api/class-code");
export const closeClass = () => del("/api/class-code");
export const listUsers = () => getJSON("/api/users");
export const createUser = (name) => postJSON("/api/users", { name });
export const deleteUser = (id) => del(`/api/users/${encodeURIComponent(id)}`);
export const classWork = () => getJSON("/api/class/work");
export const shareNetwork = (id, shared) =>
  putJSON(`/api/networks/${encodeURIComponent(id)}/shared`, { shared });
export const shareRun = (id, shared) => putJSON(`/api/runs/${encodeURIComponent(id)}/shared`, { shared });
export const copyNetwork = (id) => postJSON(`/api/networks/${encodeURIComponent(id)}/copy`);

// --- engine -----------------------------------------------------------------
export const health = () => getJSON("/api/health");
export const layerSchemas = () => getJSON("/api/layers");
export const shapes = (spec, opts) => postJSON("/api/shapes", spec, opts);

// --- designer (issue 3) -------------------------------------------------------
export const zooList = () => getJSON("/api/zoo");
export const zooSpec = (name) => getJSON(`/api/zoo/${encodeURIComponent(name)}`);
export const listNetworks = () => getJSON("/api/networks");
export const getNetwork = (id) => getJSON(`/api/networks/${encodeURIComponent(id)}`);
// frozen: the designer's layer locks, saved beside the design (GET returns them as `frozen`).
const frozenQuery = (frozen = []) =>
  frozen.length ? "?" + frozen.map((p) => `frozen=${encodeURIComponent(p)}`).join("&") : "";
export const createNetwork = (spec, frozen) => postJSON(`/api/networks${frozenQuery(frozen)}`, spec);
export const updateNetwork = (id, spec, frozen) =>
  putJSON(`/api/networks/${encodeURIComponent(id)}${frozenQuery(frozen)}`, spec);
export const deleteNetwork = (id) => del(`/api/networks/${encodeURIComponent(id)}`);
/** PyTorch source text of a spec. */
export const exportPytorch = async (spec) => (await postRaw("/api/export/pytorch", spec)).text();
/** The .onnx file of a spec, as a Blob. */
export const exportOnnx = async (spec) => (await postRaw("/api/export/onnx", spec)).blob();

// --- feature maps (issue 5) ---------------------------------------------------
export const featurePresets = () => getJSON("/api/features/presets");
export const featureOverview = (body, opts) => postJSON("/api/features/overview", body, opts);
export const featureChannel = (body, opts) => postJSON("/api/features/channel", body, opts);
/** Upload an image File/Blob to the shared store -> {id, width, height}. */
export function featureUpload(file, opts) {
  const form = new FormData();
  form.append("file", file, file.name ?? "image.png");
  return postJSON("/api/images", form, opts);
}
/** One layer page: a binary frame of uint32 JSON length, JSON meta, PNG atlas. */
export async function featureLayer(body, opts) {
  const buf = await (await postRaw("/api/features/layer", body, opts)).arrayBuffer();
  const n = new DataView(buf).getUint32(0);
  const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)));
  const png = new Blob([new Uint8Array(buf, 4 + n)], { type: "image/png" });
  return { meta, png, bytes: buf.byteLength };
}

// --- weights library (issues 5, 7) -------------------------------------------
/** Shipped weights, finished runs and imported files: [{id, title, kind, spec, accuracy, created}]. */
export const weightsList = () => getJSON("/api/weights");
/** Import a .safetensors File for a spec (checked key by key by the server) -> the new entry. */
export function importWeights(file, spec, title = "", opts) {
  const form = new FormData();
  form.append("file", file, file.name ?? "weights.safetensors");
  form.append("spec", JSON.stringify(spec));
  form.append("title", title);
  return postJSON("/api/weights", form, opts);
}
/** Import a torchvision checkpoint (.pth state_dict or .safetensors with torchvision's keys)
 * of zoo architecture `zoo` -> the new entry (its spec re-headed to the file's classifier). */
export function importTorchvision(file, zoo, title = "", opts) {
  const form = new FormData();
  form.append("file", file, file.name ?? "weights.pth");
  form.append("zoo", zoo);
  form.append("title", title);
  return postJSON("/api/weights", form, opts);
}
export const deleteWeights = (id) => del(`/api/weights/${encodeURIComponent(id)}`);
/** The library's disk use: {bytes, limit, files}. */
export const weightsUsage = () => getJSON("/api/weights/usage");
/** Where a weights file downloads from (for a plain <a download> link, no fetch). */
export const weightsFileUrl = (id) => `/api/weights/${encodeURIComponent(id)}/file`;

// --- convolution animator (issue 4) ------------------------------------------
export const convolve = (body, opts) => postJSON("/api/convolve", body, opts);
export const convKernels = () => getJSON("/api/kernels");
/** Upload an image for the animator -> {id, width, height} (same store as features). */
export function convUpload(file, opts) {
  const form = new FormData();
  form.append("file", file, file.name ?? "image.png");
  return postJSON("/api/images", form, opts);
}

// --- training runs (issue 6) --------------------------------------------------
export const listRuns = () => getJSON("/api/runs");
/** The executor's capacity: nodes, CPUs, GPUs, slots, busy, queued (issue 15). */
export const cluster = () => getJSON("/api/cluster");
export const trainDatasets = () => getJSON("/api/train/datasets");
// Datasets (issue 6): every one with its status; downloads; uploaded zips.
export const listDatasets = () => getJSON("/api/datasets");
export const downloadDataset = (name) => postJSON(`/api/datasets/${encodeURIComponent(name)}/download`);
export const deleteDataset = (name) => del(`/api/datasets/${encodeURIComponent(name)}`);
/** A zip of one folder per class -> the new dataset's list entry (with class counts). */
export function uploadDataset(file, title) {
  const form = new FormData();
  form.append("file", file, file.name ?? "images.zip");
  if (title) form.append("title", title);
  return postJSON("/api/datasets", form);
}
export const getRun = (id) => getJSON(`/api/runs/${encodeURIComponent(id)}`);
export const startRun = (spec, config) => postJSON("/api/runs", { spec, config });
export const cancelRun = (id, opts) => postJSON(`/api/runs/${encodeURIComponent(id)}/cancel`, undefined, opts);
// Pause: the worker checkpoints and frees its slot; resume carries on from the checkpoint.
export const pauseRun = (id) => postJSON(`/api/runs/${encodeURIComponent(id)}/pause`);
export const resumeRun = (id) => postJSON(`/api/runs/${encodeURIComponent(id)}/resume`);
/** {true?, pred?, offset, limit} -> {total, kept, matching, labels, items:[{index, true, pred, true_label, pred_label, confidence, image}]} */
export function runMisclassified(id, params = {}, opts) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, String(v));
  return getJSON(`/api/runs/${encodeURIComponent(id)}/misclassified?${q}`, opts);
}
/** Segmentation runs (issue 16): {offset, limit} -> {total, kept, labels, palette, items:[{index, iou, image, true, pred}]}, worst IoU first */
export const runWorstIou = (id, { offset = 0, limit = 12 } = {}, opts) =>
  getJSON(`/api/runs/${encodeURIComponent(id)}/worst_iou?offset=${offset}&limit=${limit}`, opts);
export const deleteRun = (id) => del(`/api/runs/${encodeURIComponent(id)}`);
// Transfer learning (issue 7): shipped weights (and, issue 17, the official ImageNet ones),
// and shapes with some layer paths frozen.
export const pretrainedList = () => getJSON("/api/pretrained");
// The server's training rules (issue 12): TrainConfig's JSON Schema with "x-limits", and a
// transfer mode's plan {spec | zoo, source, mode, classes, lr} -> {spec, frozen, pretrained_lr, init_from}.
export const trainSchema = () => getJSON("/api/train/schema");
// Official ImageNet weights (issue 17): one item {status, progress, ...}; start a download.
export const pretrainedItem = (name) => getJSON(`/api/pretrained/${encodeURIComponent(name)}`);
export const downloadPretrained = (name) => postJSON(`/api/pretrained/${encodeURIComponent(name)}/download`);
// Cancel a download, or delete the converted weights.
export const cancelPretrained = (name) => del(`/api/pretrained/${encodeURIComponent(name)}/download`);
export const transferPlan = (body, opts) => postJSON("/api/transfer/plan", body, opts);
export const shapesFrozen = (spec, frozen, opts) =>
  postJSON(`/api/shapes?${frozen.map((p) => `frozen=${encodeURIComponent(p)}`).join("&")}`, spec, opts);
// Server-Sent Events: onEvent(event, seq) per stored event, onEnd(status) once (a paused
// run ends its stream too). EventSource resends Last-Event-ID itself when it reconnects;
// `after` starts past a seq already seen (following a resumed run); close() stops following.
export function followRun(id, { onEvent, onEnd, after = 0 }) {
  const source = new EventSource(`/api/runs/${encodeURIComponent(id)}/events${after ? `?after=${after}` : ""}`);
  source.onmessage = (msg) => onEvent(JSON.parse(msg.data), Number(msg.lastEventId));
  source.addEventListener("end", (msg) => {
    source.close();
    onEnd(JSON.parse(msg.data).status);
  });
  return { close: () => source.close() };
}

// --- inside learning (issue 8) ----------------------------------------------
/** {surface, start, steps, optimizers:[{name, lr, ...}]} -> {grid, paths:[{name, points, diverged}]} */
export const learningOptimizers = (body, opts) => postJSON("/api/learning/optimizers", body, opts);
/** {beta, bias_correction, n, seed, noise} -> {t, theta, v, v_raw, v_corrected, window} */
export const learningEwa = (body, opts) => postJSON("/api/learning/ewa", body, opts);
/** {spec?, samples_per_layer, eps, seed, broken} -> {layers:[{path, kind, rel_diff, verdict, inserted}], thresholds, mode} */
export const learningGradcheck = (body, opts) => postJSON("/api/learning/gradcheck", body, opts);
/** {p, seed, batch, batchnorm} -> {kept, scale, train:{hidden, output, mean, var}, eval:{...}} */
export const learningModes = (body, opts) => postJSON("/api/learning/modes", body, opts);
/** Weights id (a run id, run-<id>, a shipped name) -> {edges, counts, total, near_zero, near_zero_share, accuracy, regularization, layers} */
export const weightHistogram = (id, { bins = 60, limit, threshold } = {}, opts) => {
  const q = new URLSearchParams({ bins: String(bins) });
  if (limit) q.set("limit", String(limit));
  if (threshold) q.set("threshold", String(threshold));
  return getJSON(`/api/learning/weights/${encodeURIComponent(id)}/histogram?${q}`, opts);
};
/** {budget} -> {center, eigenvalues, angle_deg, l1, l2, l1_lambda, l2_lambda, l1_path, l2_path, ...} */
export const learningConstraint = (body, opts) => postJSON("/api/learning/constraint", body, opts);
/** -> {networks:[{weights, title, layer, accuracy}], digits:[{digit, index}]} */
export const gatePresets = () => getJSON("/api/learning/gates/presets");
/** {weights|zoo|spec, mnist_index|pixels} -> {kind, gate_names, gates, h, c, image, prediction, probs, formula} */
export const learningGates = (body, opts) => postJSON("/api/learning/gates", body, opts);
// the transposed-convolution panel (issue 16)
export const learningTransposed = (body, opts) => postJSON("/api/learning/transposed", body, opts);
/** {preset, depth, width | spec, init, batch_size, seed, bins} -> {name, init, loss, layers:[{path, grad_norm, weight_norm, ratio, act_type, hist, lo, hi, mean, std, zeros, saturated}]} */
export const learningGradflow = (body, opts) => postJSON("/api/learning/gradflow", body, opts);
/** {depth, width, train_limit, probe_every, ...} -> {runs:[{key, title, description, spec, config}]} (start each with startRun) */
export const learningGradflowComparison = (body, opts) => postJSON("/api/learning/gradflow/comparison", body, opts);
/** {depth, width, activation, inits, batch, seed, bins} -> {runs:[{init, title, layers:[{layer, hist, lo, hi, std, second_moment, identical_units}]}]} */
export const learningInit = (body, opts) => postJSON("/api/learning/init", body, opts);
