"""The image picker: choose a test image with a slider, see a trained network's probabilities."""

from ..accessible_widgets import AltImage, SliderNames
from .alt_texts import picker_alt
from .controls import box, named, require_widgets, widget_bundle, widgets
from .figures import plot_image_probabilities, show_png


class ImageExplorer:
    """Pick a test image with a slider; see the trained network's probabilities for it.

    Follows a Playground: each new usable run replaces the model shown. Until then the slider is
    disabled and a hint says to train first.
    """

    def __init__(self, playground=None):
        require_widgets()
        W = widgets
        self.model = None
        self.data = None
        self.slider = W.IntSlider(
            value=0,
            min=0,
            max=9999,
            description="test image",
            disabled=True,
            continuous_update=False,
            style={"description_width": "120px"},
            layout=W.Layout(width="500px"),
        )
        self.image = AltImage(layout=W.Layout(display="none", flex="0 0 auto"))
        self.caption = W.HTML(
            box(
                "Train a network in the playground first: then pick any "
                "test image here and see what the network thinks it is."
            )
        )
        # SliderNames: the slider's handle is named "test image" for screen readers.
        named(self.caption, "picker-caption")
        named(self.image, "picker-image")
        self.widget = named(
            W.VBox([self.slider, self.caption, self.image, SliderNames()]), "image-picker"
        )
        self.slider.observe(lambda _change: self.redraw(), names="value")
        if playground is not None:
            playground.add_listener(self.show_model)
            last = playground.last_trained
            if last is not None:
                self.show_model(
                    last, playground.data_loader(last.settings.dataset, last.settings.normalize)
                )

    def _repr_mimebundle_(self, **kwargs):
        return widget_bundle(self.widget, repr(self))

    def __repr__(self):
        state = (
            "waiting for a trained network"
            if self.model is None
            else f"test image {self.slider.value}"
        )
        return f"ImageExplorer({state})"

    def show_model(self, result, data):
        """Use ``result.model`` on ``data``'s test images from now on."""
        self.model, self.data, self.run_number = result.model, data, result.number
        self.slider.max = len(data.X_test) - 1
        self.slider.disabled = False
        self.redraw()

    def probabilities(self):
        """The model's probabilities for the chosen image, (10,); None before a model exists."""
        if self.model is None:
            return None
        return self.model.predict_proba(
            self.data.X_test[self.slider.value : self.slider.value + 1]
        )[0]

    def redraw(self):
        """Show the chosen test image and the model's probabilities for it."""
        if self.model is None:
            return
        i = self.slider.value
        probs = self.probabilities()
        names = self.data.class_names
        label, guess = int(self.data.y_test[i]), int(probs.argmax())
        verdict = "right" if guess == label else "wrong"
        text = (
            f"Run {self.run_number}, test image {i}: true class {names[label]}; the network "
            f"says {names[guess]} with probability {100 * probs[guess]:.1f}% ({verdict})."
        )
        fig = plot_image_probabilities(
            self.data.X_test[i], probs, label, names, title=f"test image {i}: {names[label]}"
        )
        show_png(self.image, fig, picker_alt(i, label, probs, names))
        self.caption.value = box(text, "success" if guess == label else "warning")  # last: "done"
