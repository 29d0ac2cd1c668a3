// mlp_lib.accessible_widgets.SliderNames: names for ipywidgets' sliders. An anywidget ES module.
//
// An ipywidgets slider draws its handle (the element with role="slider" that the keyboard moves)
// without a name, and its description in a <label> that is not tied to the handle. This widget
// shows nothing: once it is in the page, it gives every slider handle in the box that holds it
// an aria-label, the slider's description, and again whenever a slider is redrawn (ipywidgets
// makes a new handle when a slider's range changes).

function nameHandles(box) {
  for (const slider of box.querySelectorAll(".widget-slider")) {
    const label = slider.querySelector(".widget-label");
    const handle = slider.querySelector('[role="slider"]');
    const name = label ? label.textContent.trim() : "";
    if (handle && name && handle.getAttribute("aria-label") !== name) {
      handle.setAttribute("aria-label", name);
    }
  }
}

function render({ el }) {
  el.style.display = "none";
  let observer = null;
  // The box puts this widget in the page after render() returns: wait for it, then watch the box.
  let frame = requestAnimationFrame(function attach() {
    const box = el.parentElement;
    if (box === null) {
      frame = requestAnimationFrame(attach);
      return;
    }
    nameHandles(box);
    observer = new MutationObserver(() => nameHandles(box)); // a slider drawn or redrawn
    observer.observe(box, { childList: true, subtree: true });
  });
  return () => {
    cancelAnimationFrame(frame);
    if (observer !== null) observer.disconnect();
  };
}

export default { render };
