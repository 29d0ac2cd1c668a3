// The drawing canvas of mlp_lib.draw_widget.DrawingCanvas: an anywidget ES module, no build step.
//
// Draw with the mouse, a pen or a finger (pointer events cover all three). The ink, one byte per
// pixel (0 = paper, 255 = full ink), goes to Python in the `pixels` trait while you draw (at most
// every `interval` ms) and when you lift the pointer. Clear, here or `canvas.clear()` in Python,
// empties it; Python can also paint an image into it by setting `pixels`.

function render({ model, el }) {
  const size = model.get("size");
  const canvas = document.createElement("canvas");
  canvas.width = size; // one canvas pixel per CSS pixel, whatever the screen's pixel ratio
  canvas.height = size;
  canvas.className = "mlp-draw-canvas";
  // A name for screen readers: a canvas is a picture to them, and this one is drawn on.
  canvas.setAttribute("role", "img");
  canvas.setAttribute(
    "aria-label",
    "Drawing area: draw a digit here with the mouse, a pen or a finger; the network reads it",
  );
  canvas.style.width = `${size}px`;
  canvas.style.height = `${size}px`;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });

  const clear = document.createElement("button");
  clear.textContent = "Clear";
  clear.className = "mlp-draw-clear";
  clear.type = "button";

  const box = document.createElement("div");
  box.className = "mlp-draw";
  box.append(canvas, clear);
  el.append(box);

  // Ink is drawn in black on a transparent canvas; its alpha channel is the drawing.
  function pixels() {
    const rgba = ctx.getImageData(0, 0, size, size).data;
    const alpha = new Uint8Array(size * size);
    for (let i = 0; i < alpha.length; i++) alpha[i] = rgba[4 * i + 3];
    return alpha;
  }

  let drawing = false; // true between pointerdown and pointerup
  let last = null; // the last point of the stroke being drawn
  let lastSent = null; // the DataView we sent, to ignore its echo in the change handler
  let timer = null;
  function send() {
    timer = null;
    lastSent = new DataView(pixels().buffer);
    model.set("pixels", lastSent);
    model.save_changes();
  }
  function sendSoon() {
    if (timer === null) timer = setTimeout(send, model.get("interval"));
  }

  function sameAsSent(bytes) {
    if (lastSent === null || bytes.length !== lastSent.byteLength) return false;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== lastSent.getUint8(i)) return false;
    return true;
  }

  function wipe() {
    ctx.clearRect(0, 0, size, size);
  }

  // Paint what Python sent (or wipe, for an empty value), unless it is our own drawing.
  function paint() {
    const value = model.get("pixels");
    if (value === lastSent || drawing) return; // never paint over a stroke being drawn
    const bytes = value ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : [];
    if (sameAsSent(bytes)) return; // the kernel echoing what we sent
    if (bytes.length !== size * size) {
      wipe();
      return;
    }
    const image = ctx.createImageData(size, size);
    for (let i = 0; i < bytes.length; i++) image.data[4 * i + 3] = bytes[i];
    ctx.putImageData(image, 0, 0);
  }

  function position(event) {
    const rect = canvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) * size) / rect.width,
      ((event.clientY - rect.top) * size) / rect.height,
    ];
  }
  function strokeTo(point) {
    ctx.lineWidth = model.get("brush");
    ctx.lineCap = "round"; // round ends and joins: a pen's tip
    ctx.lineJoin = "round";
    ctx.strokeStyle = "black";
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(point[0], point[1]);
    ctx.stroke();
    last = point;
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId); // keep the stroke even if it leaves the canvas
    drawing = true;
    last = position(event);
    strokeTo(last); // a click leaves a dot
    sendSoon();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    strokeTo(position(event));
    sendSoon();
  });
  function end() {
    if (!drawing) return;
    drawing = false;
    clearTimeout(timer);
    send(); // the finished stroke, without waiting
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  clear.addEventListener("click", () => {
    clearTimeout(timer);
    timer = null;
    wipe();
    lastSent = new DataView(new ArrayBuffer(0));
    model.set("pixels", lastSent);
    model.save_changes();
  });

  paint();
  model.on("change:pixels", paint);
  return () => model.off("change:pixels", paint); // clean up when the view is removed
}

export default { render };
