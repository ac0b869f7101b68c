// Saved designs: the list from /api/networks, open and delete. Tolerant of the
// endpoint not existing yet (the list says so instead of failing). Designs another user
// shared with the class (`me`: the signed-in user's id) are marked and cannot be deleted.
import { deleteNetwork, listNetworks } from "../../api.js";
import { thousands } from "../../lib/format.js";
import { h } from "../../dom.js";

export async function renderSaved(el, { onOpen, currentId, me = null }) {
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
      items.map((it) => {
        const theirs = me !== null && it.owner_id != null && it.owner_id !== me;
        return h(
          "li",
          { "data-network-id": it.id, class: it.id === currentId ? "current" : "", "data-shared": theirs ? "1" : null },
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
          theirs || it.shared ? h("span", { class: "badge shared", title: theirs ? "shared with the class: read-only, copy it to change it" : "shared with the class" }, theirs ? "shared · read-only" : "shared") : null,
          theirs ? null : h(
            "button",
            {
              type: "button",
              class: "danger small",
              "aria-label": `Delete ${it.name}`,
              onclick: async () => {
                if (!confirm(`Delete "${it.name}"?`)) return;
                await deleteNetwork(it.id);
                renderSaved(el, { onOpen, currentId, me });
              },
            },
            "Delete",
          ),
        );
      }),
    ),
  );
}
