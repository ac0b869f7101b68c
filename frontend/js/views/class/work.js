// The Class panel's designs and runs: whose each is, and a switch that shares it with
// the class (students see it read-only and can copy a design).
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { fill } from "./fill.js";

export async function workSection(box) {
  const { networks, runs } = await api.classWork();
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const toggle = (share, item, label) =>
    h("input", {
      type: "checkbox",
      checked: item.shared,
      "aria-label": `Share ${label} with the class`,
      onchange: async (e) => {
        try {
          await share(item.id, e.target.checked);
        } catch (err) {
          e.target.checked = !e.target.checked;
          error.textContent = err.message;
          error.hidden = false;
        }
      },
    });
  const table = (id, head, rows) =>
    h(
      "div",
      { class: "class-scroll" },
      h(
        "table",
        { class: "class-table", id },
        h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows),
      ),
    );
  fill(box,
    h("h2", { id: "class-work-title" }, "Designs and runs"),
    h("p", { class: "muted" }, "Shared ones appear in every student's lists, read-only; students can copy a shared design."),
    h("h3", {}, `Designs (${networks.length})`),
    networks.length
      ? table(
          "class-networks",
          ["Design", "Whose", "Shared"],
          networks.map((n) =>
            h("tr", {}, h("th", { scope: "row" }, n.name), h("td", {}, n.owner), h("td", {}, toggle(api.shareNetwork, n, n.name))),
          ),
        )
      : h("p", { class: "muted" }, "No saved designs yet."),
    h("h3", {}, `Runs (${runs.length})`),
    runs.length
      ? table(
          "class-runs",
          ["Network", "Whose", "Status", "Shared"],
          runs.map((r) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, r.network),
              h("td", {}, r.owner),
              h("td", {}, r.status),
              h("td", {}, toggle(api.shareRun, r, `the run of ${r.network}`)),
            ),
          ),
        )
      : h("p", { class: "muted" }, "No runs yet."),
    error,
  );
}
