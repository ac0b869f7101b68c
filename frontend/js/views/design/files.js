// Saved designs: the list from /api/networks, open and delete. Tolerant of the
// endpoint not existing yet (the list says so instead of failing).
import { deleteNetwork, listNetworks } from "../../api.js";
import { thousands } from "../../lib/format.js";
import { h } from "../../dom.js";

export async function renderSaved(el, { onOpen, currentId }) {
  let items;
  try {
    items = await listNetworks();
  } catch (e) {
    el.replaceChildren(h("p", { class: "muted" }, `Saved designs are unavailable: ${e.message}`));
    return;
  }
  if (!items.length) {
    el.replaceChildren(h("p", { class: "muted" }, "Nothing saved yet."));
    return;
  }
  el.replaceChildren(
    h(
      "ul",
      { class: "saved-list" },
      items.map((it) =>
        h(
          "li",
          { "data-network-id": it.id, class: it.id === currentId ? "current" : "" },
          h(
            "button",
            { type: "button", class: "link open", onclick: () => onOpen(it.id) },
            it.name || "Untitled",
          ),
          h(
            "span",
            { class: "muted" },
            `${thousands(it.total_params)} params${it.valid === false ? " · invalid" : ""}`,
          ),
          h(
            "button",
            {
              type: "button",
              class: "danger small",
              "aria-label": `Delete ${it.name}`,
              onclick: async () => {
                if (!confirm(`Delete "${it.name}"?`)) return;
                await deleteNetwork(it.id);
                renderSaved(el, { onOpen, currentId });
              },
            },
            "Delete",
          ),
        ),
      ),
    ),
  );
}
