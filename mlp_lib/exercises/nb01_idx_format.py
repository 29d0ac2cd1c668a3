"""Checks for notebook 01: reading IDX bytes by hand, and the exercises on the pixels."""

import re
import struct

import numpy as np

from .feedback import Mistake, call, expect_array, expect_number, number_text
from .language import N_, _
from .registry import check


def idx_bytes(array):
    """The bytes of an IDX file of unsigned bytes holding ``array`` (uint8, any number of dimensions)."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


@check("decode_idx", notebook="01", points=2)
def check_decode_idx(decode_idx):
    """``decode_idx(raw) -> array``: an IDX file's bytes to an array of the header's shape."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(2, 3, 4), dtype=np.uint8)  # a tiny "images" file
    labels = rng.integers(0, 10, size=20, dtype=np.uint8)  # a tiny "labels" file
    for array, kind in ((images, N_("3-dimensional images")), (labels, N_("1-dimensional labels"))):
        kind = _(kind)
        raw = idx_bytes(array)
        try:
            got = call(decode_idx, raw)
        except Mistake as found:
            hint, mistake = _hint_for_error(found.message, array)
            raise Mistake(found.message + hint, mistake or found.mistake) from None
        if array.ndim == 1 and isinstance(got, np.ndarray) and got.size == array.size - 8:
            raise Mistake(_fixed_header_message(), "fixed-header")
        if isinstance(got, np.ndarray) and got.size == array.size and got.shape != array.shape:
            raise Mistake(
                _(
                    "on a file of {kind} the result has shape {shape}, but the header says "
                    "{header}: reshape the values to the sizes read from the header"
                ).format(kind=kind, shape=got.shape, header=array.shape),
                "no-reshape",
            )
        got = expect_array(
            got, _("decode_idx(...) on a file of {kind}").format(kind=kind), array.shape
        )
        if got.dtype != np.uint8:
            raise Mistake(
                _(
                    "the values are {dtype}: type code 0x08 means one unsigned byte per value, "
                    "so read them with dtype=np.uint8"
                ).format(dtype=got.dtype),
                "dtype",
            )
        if not np.array_equal(got, array):
            raise Mistake(
                _(
                    "on a file of {kind} the shape is right but the values are not in their "
                    "places: they start right after the header (offset = 4 + 4 * number of "
                    "dimensions) and fill the array row by row, reshape(shape) in NumPy's "
                    "default (C) order"
                ).format(kind=kind),
                "wrong-values",
            )
    truncated = idx_bytes(images)[:-3]  # the header promises 3 more bytes than there are
    try:
        got = decode_idx(truncated)
    except Exception:  # any error will do: a short file must not pass silently
        pass
    else:
        raise Mistake(
            _(
                "a file 3 bytes shorter than its header promises was accepted (result of shape "
                "{shape}): compare the number of bytes with header size + number of values, "
                "and raise ValueError if they differ"
            ).format(shape=np.shape(got)),
            "no-size-check",
        )
    return _(
        "reads 3-dimensional image files and 1-dimensional label files, and refuses a short file"
    )


def _fixed_header_message():
    return _(
        "It works for 3-dimensional images but not for a 1-dimensional labels file, whose header "
        "is 4 + 4 * 1 = 8 bytes: compute the header size from the number of dimensions "
        "(byte 3), do not fix it at 16"
    )


def _hint_for_error(message, array):
    """(hint, mistake) for an exception raised while decoding a well-formed file; ("", None)."""
    swapped = [int.from_bytes(struct.pack(">I", size), "little") for size in array.shape]
    if any(str(size) in message for size in swapped):
        hint = _(
            ". The sizes came out as huge numbers: they were read little-endian. IDX is "
            'big-endian: use ">" in the struct format, e.g. ">I"'
        )
        return hint, "little-endian"
    header_size = 4 + 4 * array.ndim
    if re.search(rf"\bsize {header_size + array.size}\b", message):
        hint = _(
            ". The {values} values include the header's {header_size} bytes: start after the "
            "header, with np.frombuffer(raw, dtype=np.uint8, offset=header_size)"
        ).format(values=header_size + array.size, header_size=header_size)
        return hint, "header-included"
    fixed_header = f"size {header_size + array.size - 16}", "a buffer of 16 bytes"
    if array.ndim == 1 and any(text in message for text in fixed_header):
        return _(". {message}").format(message=_fixed_header_message()), "fixed-header"
    return "", None


@check("mean_image_per_class", notebook="01", points=1)
def check_mean_image_per_class(mean_image_per_class):
    """``mean_image_per_class(X, y) -> (10, D)``: the average image of each class."""
    rng = np.random.default_rng(0)
    y = np.concatenate([np.arange(10), rng.integers(0, 10, size=13)])  # every class, unequal counts
    X = rng.random((len(y), 6))  # (23, 6)
    expected = np.stack([X[y == label].mean(axis=0) for label in range(10)])  # (10, 6)
    X_before = X.copy()
    got = call(mean_image_per_class, X, y)
    if isinstance(got, np.ndarray) and got.shape == (10,):
        raise Mistake(
            _(
                "one number per class: the mean was taken over every pixel of every image. "
                "Average over the images only, .mean(axis=0), to keep one mean per pixel"
            ),
            "wrong-axis",
        )
    got = expect_array(got, _("the result"), expected.shape)
    if not np.array_equal(X, X_before):
        raise Mistake(_("it changed X in place; leave the images as they are"), "in-place")
    if not np.allclose(got, expected):
        raise Mistake(
            _(
                "the shape (10, D) is right but the values are not: row d must be "
                "X[y == d].mean(axis=0), the average of the images whose label is d"
            ),
        )
    return _("gives the mean image of each of the 10 classes")


@check("count_always_blank_pixels", notebook="01", points=1)
def check_count_always_blank_pixels(count_always_blank_pixels):
    """``count_always_blank_pixels(X) -> int``: pixel positions that are 0 in every image of X."""
    X = np.zeros((4, 7))  # 4 images of 7 pixels; columns 0, 3 and 6 are always blank
    X[:, 1] = [0.0, 0.5, 0.0, 1.0]
    X[:, 2] = 1.0
    X[2, 4] = 0.2
    X[0, 5] = 0.9
    got = call(count_always_blank_pixels, X)
    if isinstance(got, np.ndarray) and got.size > 1:
        raise Mistake(
            _(
                "got an array of shape {shape}: return one number, how many positions are blank "
                "in every image"
            ).format(shape=got.shape),
            "not-a-number",
        )
    got = expect_number(got, _("the count"))
    expected, inked, zeros = 3, 4, int((X == 0).sum())
    if got == expected:
        return _("counts the positions that are 0 in every image")
    if got == inked:
        raise Mistake(
            _(
                "that is the number of positions with ink in at least one image; count the "
                "others, those whose maximum over all images is 0"
            ),
            "counted-inked",
        )
    if got == zeros:
        raise Mistake(
            _(
                "that counts every zero pixel of every image; count pixel *positions* (columns) "
                "that are 0 in all images: (X.max(axis=0) == 0).sum()"
            ),
            "counted-all-zeros",
        )
    raise Mistake(
        _("got {got} on a small example whose answer is {expected}").format(
            got=number_text(got), expected=expected
        )
    )
