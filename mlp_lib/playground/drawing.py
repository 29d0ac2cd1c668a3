"""The playground's Draw panel: draw a digit and watch the playground's network read it.

While a run trains, the reader uses that very network and reads the drawing again at every
redraw of the live plot, so you can watch the answer change as the network learns; after each
run it keeps the run's network in its list, beside the best network of notebook 08.
"""

from pathlib import Path

from ..data import class_names
from ..draw_widget import DigitReader
from ..model import MLP

BEST_MODEL = Path(__file__).resolve().parents[2] / "models" / "best.npz"


class PlaygroundReader:
    """A ``DigitReader`` that follows a ``Playground``: ``reader.widget`` is what is shown."""

    def __init__(self, playground):
        models = {}
        if BEST_MODEL.exists():  # in the project's folder; not in an installed package
            models["best (notebook 08)"] = MLP.load(BEST_MODEL, dtype="float64")
        self.reader = DigitReader(models)
        self.widget = self.reader.widget
        playground.add_listener(self.follow, while_training=True)
        playground.add_listener(self.add_run)
        if playground.last_trained is not None:
            self.add_run(playground.last_trained)

    def _repr_mimebundle_(self, **kwargs):
        return self.reader._repr_mimebundle_(**kwargs)

    def __repr__(self):
        return f"PlaygroundReader({self.reader!r})"

    def _offer(self, name, result):
        settings = result.settings
        self.reader.add_model(
            name,
            result.model,
            pixel_scale=1.0 if settings.normalize else 255.0,
            class_names=class_names(settings.dataset),
        )

    def follow(self, result):
        """While a run trains: read the drawing with the network as it is now."""
        if result.model is None:
            return
        name = f"run {result.number} (training)"
        if name not in self.reader.models:  # a new run: offer it, and read with it
            self._offer(name, result)
        elif self.reader.chooser.value == name:
            self.reader.update()  # the same network object, with newer weights

    def add_run(self, result, data=None):
        """After a run: keep its network in the list, under its number, and read with it."""
        self.reader.models.pop(f"run {result.number} (training)", None)
        self._offer(f"run {result.number}", result)
