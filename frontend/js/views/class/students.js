// The Class panel's students: usage against the per-user limits, adding one by name
// (their token is shown once), removing one with all their work.
import * as api from "../../api.js";
import { h } from "../../dom.js";
import { fill } from "./fill.js";
import { bytesText } from "../../lib/bytes.js";

export async function studentsSection(box) {
  const users = await api.listUsers();
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const fail = (err) => {
    error.textContent = err.message;
    error.hidden = false;
  };
  const name = h("input", { id: "class-new-name", maxlength: 40, required: true });
  const made = h("p", { class: "class-made", "aria-live": "polite" });
  const add = async (e) => {
    e.preventDefault();
    try {
      const user = await api.createUser(name.value);
      await studentsSection(box);
      box.querySelector(".class-made").replaceChildren(
        `${user.name}'s token (shown once): `,
        h("code", { class: "token" }, user.token),
      );
    } catch (err) {
      fail(err);
    }
  };
  const remove = (user) => async () => {
    if (!confirm(`Remove ${user.name} and all their designs, runs and files?`)) return;
    try {
      await api.deleteUser(user.id);
      await studentsSection(box);
    } catch (err) {
      fail(err);
    }
  };
  const students = users.filter((u) => u.role !== "owner");
  const limits = students[0]?.limits;
  fill(box,
    h("h2", { id: "class-students-title" }, `Students (${students.length})`),
    limits &&
      h(
        "p",
        { class: "muted" },
        `Each may keep ${limits.networks} designs, ${limits.jobs} runs queued or running and ` +
          `${bytesText(limits.stored_bytes)} of files.`,
      ),
    h(
      "div",
      { class: "class-scroll" },
      h(
        "table",
        { class: "class-table", id: "class-users" },
        h("thead", {}, h("tr", {}, ["Name", "Designs", "Runs", "Queued or running", "Stored", ""].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          users.map((u) =>
            h(
              "tr",
              { "data-user": u.id },
              h("th", { scope: "row" }, u.role === "owner" ? `${u.name} (you)` : u.name),
              h("td", {}, String(u.networks)),
              h("td", {}, String(u.runs)),
              h("td", {}, String(u.active_runs)),
              h("td", {}, bytesText(u.stored_bytes)),
              h("td", {}, u.role !== "owner" && h("button", { type: "button", onclick: remove(u), "aria-label": `Remove ${u.name}` }, "Remove")),
            ),
          ),
        ),
      ),
    ),
    h(
      "form",
      { class: "class-add", onsubmit: add },
      h("label", { for: "class-new-name" }, "Add a student by name"),
      name,
      h("button", { type: "submit" }, "Add"),
    ),
    made,
    error,
  );
}
