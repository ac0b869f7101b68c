// Placeholder until its view lands.
export function mount(el) {
  el.textContent = "";
}
