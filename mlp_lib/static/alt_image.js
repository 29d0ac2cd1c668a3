// mlp_lib.accessible_widgets.AltImage: an image with a text alternative. An anywidget ES module.
//
// The picture is shown as ipywidgets' Image shows it (the bytes from Python, through a blob URL,
// replaced in place so a live plot does not flicker), with the `alt` text Python keeps up to date.

function render({ model, el }) {
  const img = document.createElement("img");
  img.className = "mlp-alt-image";
  img.style.display = "block"; // no gap under the picture
  img.style.width = "100%"; // fill the box the widget's layout gives it
  img.style.height = "100%";
  el.append(img);

  function showValue() {
    const value = model.get("value");
    const type = `image/${model.get("format")}`;
    const old = img.src;
    img.src = URL.createObjectURL(new Blob([value], { type }));
    if (old) URL.revokeObjectURL(old);
  }
  function showAlt() {
    // An empty alt would mark the picture as decoration, which screen readers skip: every picture
    // here carries information, so without a text it has no alt at all, and checkers flag it.
    const text = model.get("alt");
    if (text) img.alt = text;
    else img.removeAttribute("alt");
  }

  showAlt(); // before the picture: the image never exists without its text
  showValue();
  model.on("change:alt", showAlt);
  model.on("change:value", showValue);
  model.on("change:format", showValue);
  return () => {
    model.off("change:alt", showAlt);
    model.off("change:value", showValue);
    model.off("change:format", showValue);
    if (img.src) URL.revokeObjectURL(img.src);
  };
}

export default { render };
