// The Train setup in the URL hash (issue 18), so a link opens the same run setup:
// #train/network=zoo:lenet5_mnist&dataset=mnist&batch_size=64&epochs=2&lr=0.01...
// Every named field of the form travels (checkboxes as 1/0); file inputs never do.

const fields = (form) =>
  [...form.elements].filter((el) => el.name && el.type !== "file" && el.type !== "submit" && el.type !== "button");

/** The hash part after "#train/" for the form as it stands. */
export function setupToHash(form) {
  const p = new URLSearchParams();
  for (const el of fields(form)) {
    if (el.type === "checkbox") p.set(el.name, el.checked ? "1" : "0");
    else if (el.type !== "radio" || el.checked) p.set(el.name, el.value);
  }
  return p.toString();
}

/** Put a hash's values into the form (values a select does not offer are skipped); returns
 * the names it set. Fires "input" and "change" so the form's hints follow. */
export function applySetupHash(form, rest) {
  const p = new URLSearchParams(rest || "");
  const set = [];
  for (const el of fields(form)) {
    if (!p.has(el.name)) continue;
    const v = p.get(el.name);
    if (el.type === "checkbox") el.checked = v === "1";
    else if (el.tagName === "SELECT") {
      if (![...el.options].some((o) => o.value === v)) continue;
      el.value = v;
    } else el.value = v;
    set.push(el.name);
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }
  form.dispatchEvent(new Event("input", { bubbles: true }));
  return set;
}

/** Keep the hash in step with the form (replaceState: no history entry per keystroke). */
export function syncSetupHash(form) {
  const write = () => {
    const want = `#train/${setupToHash(form)}`;
    if (location.hash !== want) history.replaceState(null, "", want);
  };
  form.addEventListener("input", write);
  form.addEventListener("change", write);
  return write;
}
