// Previous / "a-b of n" / Next over a paged list the server serves by offset and limit
// (the Train view's misclassified and worst-IoU galleries). The pager owns the offset and
// drops an answer a newer request has overtaken.
import { h } from "../dom.js";

/** `testid`: prefix of the buttons' data-testid ("wrong" -> wrong-prev, wrong-next);
 * `size`: items per page; `request(offset)` -> a page; `show(page, offset)` draws it and
 * returns {shown, of}: the items drawn and how many there are to page through;
 * `fail(err)` tells a failed request. -> {el, load(), first()}. */
export function pager({ testid, size, request, show, fail }) {
  const prev = h("button", { type: "button", "data-testid": `${testid}-prev` }, "Previous");
  const next = h("button", { type: "button", "data-testid": `${testid}-next` }, "Next");
  const where = h("span", { class: "muted", "data-testid": `${testid}-where` });
  const el = h("div", { class: "wrong-pager" }, [prev, where, next]);
  let offset = 0;
  let asked = 0;

  async function load() {
    const mine = ++asked;
    prev.disabled = next.disabled = true;
    let page;
    try {
      page = await request(offset);
    } catch (err) {
      if (mine === asked) fail(err);
      return;
    }
    if (mine !== asked) return; // a newer request is on its way
    const { shown, of } = show(page, offset);
    where.textContent = of ? `${offset + 1}-${offset + shown} of ${of.toLocaleString()}` : "none";
    prev.disabled = offset === 0;
    next.disabled = offset + shown >= of;
  }

  prev.addEventListener("click", () => {
    offset = Math.max(0, offset - size);
    load();
  });
  next.addEventListener("click", () => {
    offset += size;
    load();
  });
  return {
    el,
    load,
    /** Back to the first page (a new filter) and load it. */
    first() {
      offset = 0;
      return load();
    },
  };
}
