// The layer list: one row per layer (blocks hold their sub-stacks), with the
// server's output shape, params and MACs, the engine's error where it happened,
// move/duplicate/remove buttons, drag and drop, and keys (Alt+Up/Down moves,
// Up/Down walks, Delete removes). A lock on each layer that has parameters freezes it
// for transfer learning (issue 7): locks are layer paths, a locked block freezes
// everything inside it.
import { compact, shapeText, thousands } from "../../lib/format.js";
import { childStacks, isBlock, splitPath } from "../../lib/spec_edit.js";
import { h, s } from "../../dom.js";

const SHORT = {
  out_channels: "out",
  kernel_size: "k",
  stride: "s",
  padding: "p",
  dilation: "d",
  out_features: "out",
  hidden_size: "hidden",
  output_size: "size",
  negative_slope: "slope",
};
const HIDDEN = new Set(["type", "layers", "body", "shortcut", "branches"]);

/** The settings that differ from the server's defaults, short: "out 6, k 5". */
function args(layer, schema) {
  const props = schema?.properties ?? {};
  return Object.entries(layer)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined && JSON.stringify(v) !== JSON.stringify(props[k]?.default))
    .map(([k, v]) => {
      const text = Array.isArray(v) ? v.join("x") : String(v);
      return k === "name" ? text : `${SHORT[k] ?? k} ${text}`;
    })
    .join(", ");
}

/** The locked path that freezes `path`: itself or its nearest locked ancestor, else null. */
export function lockedBy(path, locked) {
  if (!locked?.size) return null;
  if (locked.has(path)) return path;
  let best = null;
  for (const p of locked) if (path.startsWith(`${p}.`) && (!best || p.length > best.length)) best = p;
  return best;
}

function lockIcon(closed) {
  // a padlock: the shackle is drawn open (shifted up and right) when unlocked
  return s(
    "svg",
    { viewBox: "0 0 16 16", width: "14", height: "14", "aria-hidden": "true" },
    s("path", {
      d: closed ? "M5 7V5a3 3 0 0 1 6 0v2" : "M5 7V4.5a3 3 0 0 1 6 0",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": "1.6",
    }),
    s("rect", { x: "3", y: "7", width: "10", height: "7.5", rx: "1.5", fill: "currentColor" }),
  );
}

function lockButton(path, owner, ctx) {
  const own = owner === path;
  const inherited = owner && !own;
  return h(
    "button",
    {
      type: "button",
      class: `lock${owner ? " on" : ""}`,
      "data-testid": "lock",
      "aria-pressed": String(Boolean(owner)),
      "aria-label": own ? `Unfreeze ${path}` : `Freeze ${path}`,
      title: inherited
        ? `Frozen with ${owner}: unlock that block to train this layer`
        : own
          ? "Frozen: its weights stay as they are when fine-tuning. Click to unfreeze."
          : "Freeze this layer when fine-tuning (transfer learning)",
      disabled: Boolean(inherited),
      onclick: (e) => {
        e.stopPropagation();
        ctx.on.lock(path);
      },
    },
    lockIcon(Boolean(owner)),
  );
}

/**
 * ctx: {spec, report, selected, insertStack, types, locked (Set of paths), on: {select,
 * move, moveTo, duplicate, remove, target, addBranch, removeBranch, lock}}
 */
export function renderLayerList(el, ctx) {
  const rows = new Map((ctx.report?.layers ?? []).map((r) => [r.path, r]));
  const err = ctx.report?.error;
  const layers = ctx.spec.layers ?? [];
  // a re-render (a shapes answer arriving) must not take the keyboard focus away
  const active = document.activeElement;
  const focused = el.contains(active) ? active.closest("li[data-path]")?.dataset.path : null;
  el.replaceChildren(
    layers.length
      ? stackEl(layers, "layers", rows, err, ctx)
      : h(
          "div",
          { class: "empty muted" },
          h("p", {}, "No layers yet. Pick one from the palette to add it, or start from:"),
          h(
            "div",
            { class: "empty-start" },
            (ctx.starters ?? []).map(([label, fn]) =>
              h("button", { type: "button", onclick: fn }, label),
            ),
          ),
        ),
  );
  const want = ctx.focus ? ctx.selected : focused;
  if (want) el.querySelector(`[data-path="${want}"] > .row-main`)?.focus();
}

function stackEl(layers, stackPath, rows, err, ctx) {
  const ol = h("ol", { class: "stack", "data-stack": stackPath });
  ol.addEventListener("dragover", (e) => {
    if (e.target === ol) e.preventDefault();
  });
  ol.addEventListener("drop", (e) => {
    if (e.target !== ol) return;
    e.preventDefault();
    ctx.on.moveTo(e.dataTransfer.getData("text/x-layer-path"), stackPath, layers.length);
  });
  layers.forEach((layer, i) => ol.append(rowEl(layer, `${stackPath}.${i}`, rows, err, ctx)));
  return ol;
}

function rowEl(layer, path, rows, err, ctx) {
  const row = rows.get(path);
  const isErr = err?.layer === path;
  const unknown = !row && !isErr;
  const { index } = splitPath(path);
  const typeTitle = ctx.types[layer.type]?.title ?? layer.type;
  // a named block (a ResNet stage, an Inception module) reads by its name, its kind beside
  const named = isBlock(layer) && Boolean(layer.name);
  const title = named ? layer.name : typeTitle;
  // an error inside a folded block unfolds it, so the message is always visible
  const collapsed = ctx.collapsed.has(path) && !(err?.layer ?? "").startsWith(`${path}.`);
  const owner = lockedBy(path, ctx.locked);
  // only layers with weights can be frozen (a block: when something inside has some)
  const lockable = ctx.on.lock && (row ? row.params > 0 : owner !== null);
  const li = h("li", {
    class: `row${isErr ? " has-error" : ""}${unknown ? " unknown" : ""}${isBlock(layer) ? " block" : ""}${owner ? " locked" : ""}`,
    "data-path": path,
    "data-type": layer.type,
    "data-selected": String(ctx.selected === path), // aria-selected is not allowed on a list item
  });
  const stop = (fn) => (e) => {
    e.stopPropagation();
    fn();
  };
  const main = h(
    "div",
    {
      class: "row-main",
      tabindex: "0",
      // a group, not a button: it holds its own buttons (fold, lock, move, ...); Enter or
      // Space selects it (keys below)
      role: "group",
      draggable: "true",
      "aria-label": `${named ? `${title} (${typeTitle})` : title}, layer ${path}`,
      "aria-current": ctx.selected === path ? "true" : null,
      onclick: () => ctx.on.select(path),
      onkeydown: (e) => keys(e, path, ctx),
      ondragstart: (e) => {
        e.stopPropagation();
        e.dataTransfer.setData("text/x-layer-path", path);
        e.dataTransfer.effectAllowed = "move";
      },
      ondragover: (e) => {
        e.preventDefault();
        e.stopPropagation();
        const after = e.offsetY > e.currentTarget.clientHeight / 2;
        li.classList.toggle("drop-before", !after);
        li.classList.toggle("drop-after", after);
      },
      ondragleave: () => li.classList.remove("drop-before", "drop-after"),
      ondrop: (e) => {
        e.preventDefault();
        e.stopPropagation();
        const after = li.classList.contains("drop-after");
        li.classList.remove("drop-before", "drop-after");
        const { stack } = splitPath(path);
        ctx.on.moveTo(e.dataTransfer.getData("text/x-layer-path"), stack, index + (after ? 1 : 0));
      },
    },
    h("span", { class: "grip", "aria-hidden": "true" }, "⋮⋮"),
    h(
      "span",
      { class: "name" },
      h(
        "span",
        { class: "type" },
        isBlock(layer)
          ? h(
              "button",
              {
                type: "button",
                class: "fold",
                "aria-expanded": String(!collapsed),
                "aria-label": collapsed ? "Expand block" : "Collapse block",
                onclick: stop(() => ctx.on.fold(path)),
              },
              collapsed ? "▸" : "▾",
            )
          : null,
        title,
      ),
      h(
        "span",
        { class: "args muted" },
        named
          ? [typeTitle, args({ ...layer, name: undefined }, ctx.types[layer.type])].filter(Boolean).join(", ")
          : args(layer, ctx.types[layer.type]),
      ),
    ),
    h("span", { class: "shape", "data-testid": "shape" }, row ? shapeText(row.output_shape) : "–"),
    h(
      "span",
      {
        class: "params",
        title: row ? `${thousands(row.params)} parameters${owner ? ", frozen" : ""}` : "",
      },
      lockable ? lockButton(path, owner, ctx) : null,
      row ? thousands(row.params) : "",
    ),
    h("span", { class: "macs muted", title: "multiply-accumulates" }, row ? compact(row.macs) : ""),
    h(
      "span",
      { class: "tools" },
      h(
        "button",
        {
          type: "button",
          title: "Move up (Alt+Up)",
          "aria-label": "Move up",
          onclick: stop(() => ctx.on.move(path, -1)),
        },
        "↑",
      ),
      h(
        "button",
        {
          type: "button",
          title: "Move down (Alt+Down)",
          "aria-label": "Move down",
          onclick: stop(() => ctx.on.move(path, 1)),
        },
        "↓",
      ),
      h(
        "button",
        {
          type: "button",
          title: "Duplicate",
          "aria-label": "×2 duplicate",
          onclick: stop(() => ctx.on.duplicate(path)),
        },
        "×2",
      ),
      h(
        "button",
        {
          type: "button",
          title: "Remove (Delete)",
          "aria-label": "Remove",
          class: "danger",
          onclick: stop(() => ctx.on.remove(path)),
        },
        "✕",
      ),
    ),
  );
  li.append(main);
  if (isErr)
    li.append(
      h("div", { class: "row-error", role: "alert", "data-testid": "layer-error" }, err.message),
    );
  if (isBlock(layer) && !collapsed) li.append(subStacks(layer, path, rows, err, ctx));
  return li;
}

function subStacks(layer, path, rows, err, ctx) {
  const wrap = h("div", { class: "subs" });
  childStacks(layer).forEach(([seg, list], i) => {
    const stackPath = `${path}.${seg}`;
    const label =
      layer.type === "parallel" ? `branch ${i + 1}` : seg === "shortcut" ? "shortcut" : seg;
    const targeted = ctx.insertStack === stackPath;
    wrap.append(
      h(
        "div",
        { class: `sub${targeted ? " targeted" : ""}`, "data-sub": stackPath },
        h(
          "div",
          { class: "sub-head" },
          h("span", {}, label),
          seg === "shortcut" && list.length === 0
            ? h("span", { class: "muted" }, "identity")
            : null,
          h(
            "button",
            {
              type: "button",
              class: "link",
              "data-target": stackPath,
              "aria-pressed": String(targeted),
              onclick: () => ctx.on.target(stackPath),
            },
            targeted ? "adding here" : "+ add here",
          ),
          layer.type === "parallel"
            ? h(
                "button",
                { type: "button", class: "link", onclick: () => ctx.on.removeBranch(path, i) },
                "remove branch",
              )
            : null,
        ),
        stackEl(list, stackPath, rows, err, ctx),
      ),
    );
  });
  if (layer.type === "parallel") {
    wrap.append(
      h(
        "button",
        { type: "button", class: "link", onclick: () => ctx.on.addBranch(path) },
        "+ branch",
      ),
    );
  }
  return wrap;
}

function keys(e, path, ctx) {
  if (e.target !== e.currentTarget) return;
  if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
    e.preventDefault();
    ctx.on.move(path, e.key === "ArrowUp" ? -1 : 1);
  } else if (e.key === "ArrowUp" || e.key === "ArrowDown") {
    e.preventDefault();
    const all = [...document.querySelectorAll(".layer-list .row-main")];
    const i = all.indexOf(e.currentTarget) + (e.key === "ArrowUp" ? -1 : 1);
    all[i]?.focus();
  } else if (e.key === "Delete") {
    e.preventDefault();
    ctx.on.remove(path);
  } else if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    ctx.on.select(path);
  }
}
