// Who is signed in, in the top bar (issue 14): the name, "Sign out", and the Class tab
// for the teacher only.
import * as api from "../../api.js";
import { h } from "../../dom.js";

export async function show(topbar) {
  let user;
  try {
    user = await api.me();
  } catch {
    return; // not signed in yet: the first request that needs it asks for a token
  }
  topbar.querySelector(".who")?.remove();
  const tab = topbar.querySelector('[data-view="class"]');
  if (tab) tab.hidden = user.role !== "owner";
  const out = h("button", { type: "button", onclick: () => signOut() }, "Sign out");
  topbar.append(
    h(
      "div",
      { class: "who" },
      h("span", {}, user.role === "owner" ? `${user.name} (teacher)` : user.name),
      out,
    ),
  );
}

async function signOut() {
  await api.signOut();
  location.reload();
}
