// Undo/redo of whole states (specs are small). Typing in one field coalesces into
// one step: a push with the same `key` as the last one replaces it.

export class History {
  constructor(initial, limit = 200) {
    this.past = [];
    this.present = initial;
    this.future = [];
    this.limit = limit;
    this.lastKey = null;
  }

  push(state, key = null) {
    if (key !== null && key === this.lastKey) {
      this.present = state;
      return;
    }
    this.past.push(this.present);
    if (this.past.length > this.limit) this.past.shift();
    this.present = state;
    this.future = [];
    this.lastKey = key;
  }

  /** Start over (a newly opened network): nothing to undo. */
  reset(state) {
    this.past = [];
    this.future = [];
    this.present = state;
    this.lastKey = null;
  }

  get canUndo() {
    return this.past.length > 0;
  }

  get canRedo() {
    return this.future.length > 0;
  }

  undo() {
    return this.#travel(this.past, this.future);
  }

  redo() {
    return this.#travel(this.future, this.past);
  }

  /** Step to the last state of `from` (past or future), keeping the present in `to`. */
  #travel(from, to) {
    if (!from.length) return this.present;
    to.push(this.present);
    this.present = from.pop();
    this.lastKey = null;
    return this.present;
  }
}
