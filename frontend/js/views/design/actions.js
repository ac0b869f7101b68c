// The designer's starting points and saving: the "New from…" menu, loading a zoo network
// (with its one-line description under the toolbar), saving and reopening designs.
// `v` reaches the view: state() (null once unmounted), spec(), load(spec), relock(paths),
// refresh(), readOnly(net | null). A design another user shared with the class opens
// read-only; copy() makes it the user's own (POST /api/networks/{id}/copy) and opens that.
import * as api from "../../api.js";
import { renderSaved } from "./files.js";
import { BLANK, TEMPLATES } from "./templates.js";

export function designActions(v) {
  let me = null; // GET /api/me, asked once: whose designs are whose
  const whoAmI = () => (me ??= api.me().catch(() => (me = null)));

  function say(text, bad = false) {
    const st = v.state();
    if (!st) return;
    st.ui.status.textContent = text;
    st.ui.status.classList.toggle("bad", bad);
  }

  /** The zoo entry's description under the toolbar; "" hides it. */
  function describe(text) {
    const st = v.state();
    if (!st) return;
    st.ui.zooDesc.textContent = text;
    st.ui.zooDesc.hidden = !text;
  }

  async function onStart(e) {
    const value = e.target.value;
    e.target.value = "";
    if (!value) return;
    describe("");
    if (value === "blank") return v.load(structuredClone(BLANK));
    if (value.startsWith("t:")) return v.load(structuredClone(TEMPLATES[value.slice(2)]));
    await loadZoo(value.slice(4));
  }

  async function loadZoo(name) {
    try {
      say(`Loading ${name}…`);
      const zspec = await api.zooSpec(name);
      const st = v.state();
      if (!st) return;
      v.load(zspec);
      st.pretrained?.show(zspec, name);
      const entry = (st.zoo ?? []).find((z) => z.name === name);
      describe(entry?.description ? `${entry.title ?? name}: ${entry.description}` : "");
      say(`Loaded ${zspec.name ?? name}.`);
    } catch (err) {
      say(`Could not load ${name}: ${err.message}`, true);
    }
  }

  async function save() {
    const st = v.state();
    if (st.readOnly) return say("This design is shared read-only: copy it to your designs first.", true);
    try {
      const locks = [...st.locked];
      if (st.savedId) {
        await api.updateNetwork(st.savedId, v.spec(), locks);
      } else {
        st.savedId = (await api.createNetwork(v.spec(), locks)).id;
      }
      say(`Saved “${v.spec().name}”.`);
      refreshSaved();
    } catch (e) {
      say(`Not saved: ${e.message}`, true);
    }
  }

  async function open(id, done) {
    try {
      const [net, user] = await Promise.all([api.getNetwork(id), whoAmI()]);
      if (!v.state()) return;
      describe("");
      v.load(net.spec);
      v.relock(net.frozen ?? []);
      v.refresh();
      v.state().savedId = id;
      v.readOnly(user && net.owner_id !== user.id ? net : null);
      refreshSaved();
      say(done ?? `Opened “${net.name ?? net.spec.name}”${v.state().readOnly ? " (read-only)" : ""}.`);
    } catch (e) {
      say(`Could not open it: ${e.message}`, true);
    }
  }

  async function copy() {
    const shared = v.state()?.readOnly;
    if (!shared) return;
    try {
      const { id } = await api.copyNetwork(shared.id);
      await open(id, `Copied “${shared.name}” to your designs: it is yours to change.`);
    } catch (e) {
      say(`Not copied: ${e.message}`, true);
    }
  }

  async function refreshSaved() {
    const st = v.state();
    if (!st) return;
    const user = await whoAmI();
    if (!v.state()) return;
    renderSaved(st.ui.saved, { currentId: st.savedId, me: user?.id ?? null, onOpen: (id) => open(id) });
  }

  return { say, describe, onStart, loadZoo, save, copy, refreshSaved };
}
