"""Checks for notebook 07, the playground: counting the steps of an epoch (Try it 2).

Try it 3 reuses notebook 02's ``count_parameters``; its check is 02's, ungraded in 07.
"""

from ..batches import n_batches
from .feedback import Mistake, call, expect_number, number_text
from .language import _
from .registry import check


@check("steps_per_epoch", notebook="07", points=1)
def check_steps_per_epoch(steps_per_epoch):
    """``steps_per_epoch(n_images, batch_size) -> int``: mini-batches in one epoch, the last smaller."""
    for n, batch_size in (
        (10_000, 64),
        (10_000, 1000),
        (50, 64),
        (10_000, 8),
        (1, 1),
        (1000, 1024),
    ):
        want = n_batches(n, batch_size)
        got = expect_number(
            call(steps_per_epoch, n, batch_size),
            _("the steps for {n} images in batches of {batch_size}").format(
                n=n, batch_size=batch_size
            ),
        )
        if got == want:
            continue
        if got != int(got):
            raise Mistake(
                _(
                    "{got} steps for {n:,} images in batches of {batch_size}: a step takes a "
                    "whole batch, and the last batch takes what is left. Round up: -(-N // B), "
                    "or math.ceil(N / B)"
                ).format(got=number_text(got), n=n, batch_size=batch_size),
                "not-whole",
            )
        if got == n // batch_size:
            raise Mistake(
                _(
                    "{n:,} // {batch_size} = {quotient} rounds down and forgets the last, "
                    "smaller batch of {left} images (notebook 06's bug). Round up: "
                    "-(-N // B), or math.ceil(N / B)"
                ).format(n=n, batch_size=batch_size, quotient=n // batch_size, left=n % batch_size),
                "last-batch-dropped",
            )
        if got == n // batch_size + 1 and n % batch_size == 0:
            raise Mistake(
                _(
                    "{n:,} // {batch_size} + 1 = {got} counts one batch too many: "
                    "{n:,} images make exactly {want:,} full batches of {batch_size}, with "
                    "nothing left over. Round up instead of adding 1: -(-N // B), or "
                    "math.ceil(N / B)"
                ).format(n=n, batch_size=batch_size, got=number_text(got), want=want),
                "plus-one",
            )
        raise Mistake(
            _(
                "expected {want:,} steps for {n:,} images in batches of {batch_size}, got {got}"
            ).format(want=want, n=n, batch_size=batch_size, got=number_text(got))
        )
    return _("ceil(N / B) steps: 157 for 10,000 images in batches of 64, the last batch of 16")
