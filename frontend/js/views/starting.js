// The server starts in two steps (server/loading.py): the page and /api/health answer at
// once, while torch and the rest load behind them and requests for the rest wait. While it
// loads, a notice in the top bar says so (the views' own "loading" lines would otherwise
// seem stuck); it goes once the server is ready, and stays with the reason if loading
// failed.
import * as api from "../api.js";
import { h } from "../dom.js";

const POLL_MS = 300;

export async function watch(topbar) {
  let notice = null;
  const say = (text, failed) => {
    notice ??= topbar.appendChild(h("p", { class: "starting", role: "status", "data-testid": "starting" }));
    notice.classList.toggle("failed", failed);
    notice.setAttribute("role", failed ? "alert" : "status");
    notice.textContent = text;
  };
  for (;;) {
    let state;
    try {
      state = await api.health();
    } catch (err) {
      if (err.status === 503) say(err.message, true); // the load failed: its error, to stay
      else notice?.remove(); // not answering at all: the views say what failed
      return;
    }
    if (state.ready) break;
    say("Starting: the server is still loading PyTorch and the networks…", false);
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
  notice?.remove();
}
