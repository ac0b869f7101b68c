// The Class panel (issue 14), the teacher's only: the class code students join with,
// the students with their usage, and sharing designs and runs with the class.
import * as api from "../api.js";
import { h } from "../dom.js";
import { fill } from "./class/fill.js";
import { studentsSection } from "./class/students.js";
import { workSection } from "./class/work.js";

let alive = false;

export async function mount(el) {
  alive = true;
  const code = h("section", { class: "class-box", "aria-labelledby": "class-code-title" });
  const students = h("section", { class: "class-box", "aria-labelledby": "class-students-title" });
  const work = h("section", { class: "class-box", "aria-labelledby": "class-work-title" });
  el.append(h("div", { class: "class-view" }, h("h1", {}, "Class"), code, students, work));
  try {
    const me = await api.me();
    if (me.role !== "owner") {
      el.replaceChildren(h("p", { class: "error" }, "Only the teacher sees the Class panel."));
      return;
    }
    await Promise.all([renderCode(code), studentsSection(students), workSection(work)]);
  } catch (err) {
    if (alive) el.append(h("p", { class: "error", role: "alert" }, err.message));
  }
}

export function unmount() {
  alive = false;
}

async function renderCode(box) {
  const { code } = await api.classCode();
  const address = `${location.origin}/join/`;
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const act = (fn) => async () => {
    try {
      await fn();
      await renderCode(box);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  };
  fill(box,
    h("h2", { id: "class-code-title" }, "Class code"),
    code
      ? [
          h("p", { class: "class-code", id: "class-code" }, code),
          h("p", {}, "Students open ", h("code", {}, address), " and type this code with their name."),
        ]
      : h("p", { class: "muted", id: "class-code" }, "Joining is closed: make a code to let students in."),
    h(
      "div",
      { class: "class-actions" },
      h("button", { type: "button", class: "primary", onclick: act(api.newClassCode) }, code ? "New code" : "Make a class code"),
      code && h("button", { type: "button", onclick: act(api.closeClass) }, "Close joining"),
    ),
    error,
  );
}
