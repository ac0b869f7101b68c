// The convolution animation's clock: play, pause and single steps over the output window,
// `speed` steps per second on requestAnimationFrame. `draw(step)` shows a step and returns
// the step it showed (clamped to the window).
export class Player {
  constructor(draw) {
    this.draw = draw;
    this.view = null; // the stage being animated: its play button, rows and cols
    this.step = 0;
    this.playing = false;
    this.speed = 2; // steps per second
    this.raf = 0;
    this.lastT = 0;
    this.acc = 0; // ms x speed since the last step; a step every 1000
  }

  show(step) {
    this.step = this.draw(step);
  }

  /** One step back (-1) or forward (+1), paused. */
  by(delta) {
    this.pause();
    this.show(this.step + delta);
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  play() {
    const v = this.view;
    if (!v) return;
    if (this.step >= v.rows * v.cols - 1) this.step = -1; // at the end: from the start
    this.playing = true;
    v.playBtn.textContent = "⏸ Pause";
    this.lastT = performance.now();
    this.acc = 1000; // first step at once
    this.raf = requestAnimationFrame(this.tick);
  }

  pause() {
    this.playing = false;
    cancelAnimationFrame(this.raf);
    if (this.view) this.view.playBtn.textContent = "▶ Play";
  }

  tick = (t) => {
    const v = this.view;
    if (!this.playing || !v) return;
    this.acc += (t - this.lastT) * this.speed;
    this.lastT = t;
    if (this.acc >= 1000) {
      this.acc = 0;
      this.show(this.step + 1);
      if (this.step >= v.rows * v.cols - 1) return this.pause();
    }
    this.raf = requestAnimationFrame(this.tick);
  };
}
