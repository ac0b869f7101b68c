// /join/ (issue 14): a student types the class code and a display name and gets an
// account of their own; the server sets the sign-in cookie, and the token is shown once
// so the student can sign in from another browser later.
import * as api from "../../api.js";
import { h } from "../../dom.js";

const root = document.getElementById("join");
const code = h("input", { id: "join-code", required: true, autocomplete: "off", maxlength: 40 });
const name = h("input", { id: "join-name", required: true, autocomplete: "nickname", maxlength: 40 });
const error = h("p", { class: "error", role: "alert", hidden: true });
const button = h("button", { class: "primary", type: "submit" }, "Join");
const params = new URLSearchParams(location.search);
if (params.get("code")) code.value = params.get("code");

root.append(
  h(
    "div",
    { class: "signin-card" },
    h("h1", {}, "Join a class"),
    h("p", {}, "Type the class code your teacher shows and the name the class will see."),
    h(
      "form",
      { class: "signin-form", onsubmit: (e) => submit(e) },
      h("label", { for: "join-code" }, "Class code"),
      code,
      h("label", { for: "join-name" }, "Your name"),
      name,
      error,
      button,
    ),
    h("p", { class: "muted" }, "Have a token already? ", h("a", { href: "/" }, "Sign in with it")),
  ),
);

async function submit(e) {
  e.preventDefault();
  button.disabled = true;
  error.hidden = true;
  try {
    const { user, token } = await api.joinClass(code.value, name.value);
    root.replaceChildren(
      h(
        "div",
        { class: "signin-card" },
        h("h1", {}, `Welcome, ${user.name}`),
        h("p", {}, "Your workspace is ready. Keep this token to sign in from another browser:"),
        h("p", {}, h("code", { class: "token", id: "join-token" }, token)),
        h("p", {}, h("a", { class: "button primary-link", href: "/#design" }, "Start designing")),
      ),
    );
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}
