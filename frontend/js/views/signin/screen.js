// The "paste your token" screen (issue 14): shown over the page when a request answers
// 401 (api.js asks for it through onSignInNeeded); resolves once the token is accepted
// and the server has set the sign-in cookie, so the waiting requests go through.
import * as api from "../../api.js";
import { h } from "../../dom.js";

let open = null;

export function ask() {
  if (open) return open;
  open = new Promise((resolve) => {
    const input = h("input", {
      id: "signin-token",
      type: "password",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
      "aria-describedby": "signin-help",
    });
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const button = h("button", { class: "primary", type: "submit" }, "Sign in");
    const form = h(
      "form",
      { class: "signin-form", onsubmit: (e) => submit(e) },
      h("label", { for: "signin-token" }, "Token"),
      input,
      error,
      button,
    );
    const box = h(
      "div",
      { class: "signin", role: "dialog", "aria-modal": "true", "aria-labelledby": "signin-title" },
      h(
        "div",
        { class: "signin-card" },
        h("h1", { id: "signin-title" }, "Sign in to cnnplay"),
        h(
          "p",
          { id: "signin-help" },
          "Paste the token that ",
          h("code", {}, "cnnplay serve"),
          " printed: the part after ",
          h("code", {}, "?token="),
          " in the address it shows. Opening that address signs you in too.",
        ),
        form,
        h(
          "p",
          { class: "muted" },
          "A student? ",
          h("a", { href: "/join/" }, "Join a class"),
          " with the code your teacher shows.",
        ),
      ),
    );

    async function submit(e) {
      e.preventDefault();
      button.disabled = true;
      error.hidden = true;
      try {
        await api.signIn(input.value.trim());
        box.remove();
        open = null;
        resolve();
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
        input.select();
      } finally {
        button.disabled = false;
      }
    }

    document.body.append(box);
    input.focus();
  });
  return open;
}
