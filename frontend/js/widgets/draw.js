// A drawing pad for digits: white ink on black like MNIST. toBlob() crops the ink,
// fits it into a 20x20 box centred by mass in 28x28 (how MNIST digits were made) and
// returns a PNG.

export function drawPad(size, onStroke) {
  const canvas = document.createElement("canvas");
  canvas.width = size;
  canvas.height = size;
  canvas.className = "fm-pad";
  canvas.setAttribute("aria-label", "Drawing pad: draw a digit with the mouse or a finger");
  const ctx = canvas.getContext("2d");
  let drawing = false;
  let last = null;
  let inked = false;

  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, size, size);
    inked = false;
  };
  clear();

  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * size, ((e.clientY - r.top) / r.height) * size];
  };
  const line = (a, b) => {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = size / 12;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(...a);
    ctx.lineTo(...b);
    ctx.stroke();
    inked = true;
  };
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true;
    last = at(e);
    line(last, last);
    canvas.setPointerCapture?.(e.pointerId);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    const p = at(e);
    line(last, p);
    last = p;
    onStroke(false);
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    onStroke(true);
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointerleave", end);
  canvas.style.touchAction = "none";

  function toBlob() {
    const out = document.createElement("canvas");
    out.width = 28;
    out.height = 28;
    const octx = out.getContext("2d");
    octx.fillStyle = "#000";
    octx.fillRect(0, 0, 28, 28);
    const px = ctx.getImageData(0, 0, size, size).data;
    let [x0, y0, x1, y1] = [size, size, -1, -1];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (px[(y * size + x) * 4] > 40) {
          x0 = Math.min(x0, x);
          y0 = Math.min(y0, y);
          x1 = Math.max(x1, x);
          y1 = Math.max(y1, y);
        }
      }
    }
    if (x1 >= 0) {
      const w = x1 - x0 + 1;
      const h = y1 - y0 + 1;
      const s = 20 / Math.max(w, h);
      const cw = Math.max(1, Math.round(w * s));
      const chh = Math.max(1, Math.round(h * s));
      const tmp = document.createElement("canvas");
      tmp.width = cw;
      tmp.height = chh;
      const tctx = tmp.getContext("2d", { willReadFrequently: true });
      tctx.imageSmoothingQuality = "high";
      tctx.drawImage(canvas, x0, y0, w, h, 0, 0, cw, chh);
      // Centre by the centre of mass, as MNIST did: bbox centring makes a 7 look like a 2.
      const ink = tctx.getImageData(0, 0, cw, chh).data;
      let [m, mx, my] = [0, 0, 0];
      for (let y = 0; y < chh; y++) {
        for (let x = 0; x < cw; x++) {
          const v = ink[(y * cw + x) * 4];
          m += v;
          mx += v * (x + 0.5);
          my += v * (y + 0.5);
        }
      }
      const [cx, cy] = m > 0 ? [mx / m, my / m] : [cw / 2, chh / 2];
      octx.drawImage(tmp, Math.round(14 - cx), Math.round(14 - cy));
    }
    return new Promise((resolve) => out.toBlob(resolve, "image/png"));
  }

  return { canvas, clear, toBlob, isEmpty: () => !inked };
}
