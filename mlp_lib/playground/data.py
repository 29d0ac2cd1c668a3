"""The playground's data: each dataset read from disk once, the last two kept in memory."""

import threading
from collections import OrderedDict

from ..data import Dataset, load_dataset

PlaygroundData = Dataset  # the name this module used before; the same thing

MAX_DATASETS_KEPT = 2  # each (dataset, pixel scale) is ~220 MB of float32

_data_cache = OrderedDict()  # (dataset, normalize, data_dir) -> Dataset, oldest first
_data_lock = threading.Lock()  # two runs never read the same files at once


def load_data(dataset="mnist", normalize=True, *, data_dir=None):
    """Both splits of ``dataset`` as float32; read from disk once, then kept (the last two)."""
    key = (dataset, bool(normalize), None if data_dir is None else str(data_dir))
    with _data_lock:
        if key in _data_cache:
            _data_cache.move_to_end(key)
            return _data_cache[key]
        data = load_dataset(dataset, normalize=normalize, data_dir=data_dir)
        _data_cache[key] = data
        while len(_data_cache) > MAX_DATASETS_KEPT:
            _data_cache.popitem(last=False)
        return data
