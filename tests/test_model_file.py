"""Crafted model files: each is refused with a clear message, using only a few MB of memory.

The files are made here, small on disk: a zip archive of .npy members, some of which promise
more than they hold. ``refused`` measures with tracemalloc (which sees NumPy's arrays too) the
most memory that loading took before it raised. Times are not asserted: they depend on the
machine; a crafted file is refused in milliseconds.
"""

import dataclasses
import io
import json
import os
import zipfile

import numpy as np
import pytest
from helpers import ROOT, peak_memory_of

from mlp_lib import evaluate, load_mnist
from mlp_lib.model import MLP, ModelFormatError
from mlp_lib.model_file import (
    FIELDS,
    MAX_ARRAYS,
    MAX_LAYERS,
    MAX_MEMBERS,
    MAX_METADATA_CHARS,
    MAX_METADATA_KEYS,
    MAX_PARAMETERS,
    SavedModel,
    check_layers_size,
    write_model_file,
)

FEW_MB = 5_000_000
TERA_SHAPE = (10**6, 10**6)  # 7.28 TiB of float64


def npy(array):
    """The bytes np.save writes for ``array``."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npy_header(shape, descr="<f8"):
    """A .npy header that promises an array of ``shape`` and ``descr``, and no data after it."""
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def small_model_members(**changes):
    """The members of a valid 4-2 model file, with some replaced (None removes one)."""
    members = {
        "layer_sizes.npy": npy(np.array([4, 2])),
        "W0.npy": npy(np.zeros((4, 2))),
        "b0.npy": npy(np.zeros(2)),
    }
    for key, value in changes.items():
        members[f"{key}.npy"] = value
    return {name: data for name, data in members.items() if data is not None}


def old_format_members(model, version=2):
    """The members of the format 1 or 2 file of a Linear-ReLU(-Dropout) ``model``, as MLP.save
    wrote them before format 3."""
    members = {f"{name}.npy": npy(value) for name, value in model.parameters().items()}
    members["layer_sizes.npy"] = npy(np.array(model.layer_sizes, dtype=np.int64))
    members["format_version.npy"] = npy(np.array(version))
    members["init.npy"] = npy(np.array(model.init))
    members["dtype.npy"] = npy(np.array(model.dtype.name))
    members["dropout.npy"] = npy(np.array(model.dropout))
    if version == 1:
        metadata = np.array([f"{key}={value}" for key, value in model.metadata.items()])
    else:
        metadata = np.array(json.dumps(model.metadata, sort_keys=True))
    members["metadata.npy"] = npy(metadata)
    return members


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def refused(path, match):
    """Load ``path``, expect a ModelFormatError matching ``match``; return the peak memory used."""
    raised, peak = peak_memory_of(lambda: MLP.load(path))
    with pytest.raises(ModelFormatError, match=match):
        if raised is not None:
            raise raised
    return peak


def test_a_file_declaring_a_huge_network_is_refused_before_building_it(tmp_path):
    # 106 KB on disk; building its 784-20000-20000-10 network took 4.6 GB before.
    path = write_zip(
        tmp_path / "huge.npz",
        {
            "layer_sizes.npy": npy(np.array([784, 20000, 20000, 10])),
            "W0.npy": npy(np.zeros((784, 32), np.float32)),
            "b0.npy": npy(np.zeros(32, np.float32)),
        },
    )
    assert 100_000 < path.stat().st_size < 110_000
    peak = refused(
        path,
        r"huge.npz: its layer_sizes \[784, 20000, 20000, 10\]: a 784-20000-20000-10 network has "
        rf"415,920,010 parameters \(1.7 GB in float32\), more than the {MAX_PARAMETERS:,} mlp_lib "
        r"trains, saves and loads; is this the right file\?",
    )
    assert peak < FEW_MB


def test_layer_sizes_are_compared_with_the_array_headers_before_building(tmp_path):
    # 29 million parameters (under the limit), but the arrays are those of a 784-32-16-10 network.
    members = {"layer_sizes.npy": npy(np.array([784, 5000, 5000, 10]))}
    for i, (n_in, n_out) in enumerate([(784, 32), (32, 16), (16, 10)]):
        members[f"W{i}.npy"] = npy(np.zeros((n_in, n_out), np.float32))
        members[f"b{i}.npy"] = npy(np.zeros(n_out, np.float32))
    path = write_zip(tmp_path / "m.npz", members)
    peak = refused(
        path, r"W0 should be a float array of shape \(784, 5000\), got float32 of shape \(784, 32\)"
    )
    assert peak < FEW_MB  # building the network would take 116 MB


def test_a_header_promising_terabytes_is_refused_from_the_header(tmp_path):
    path = write_zip(tmp_path / "m.npz", small_model_members(W0=npy_header(TERA_SHAPE)))
    peak = refused(
        path,
        r"W0 should be a float array of shape \(4, 2\), got float64 of shape \(1000000, 1000000\)",
    )
    assert peak < FEW_MB


def test_a_terabyte_header_under_an_unexpected_key_is_refused_by_its_name(tmp_path):
    path = write_zip(tmp_path / "m.npz", small_model_members(extra=npy_header(TERA_SHAPE)))
    peak = refused(path, r"m.npz: unexpected arrays \['extra'\]; model files are .npz archives")
    assert peak < FEW_MB


@pytest.mark.parametrize(
    "key, descr, message",
    [
        ("layer_sizes", "<i8", r"'layer_sizes' should be an integer array of at most 64 entries"),
        ("format_version", "<i8", r"'format_version' should be an integer array \(one value\)"),
        ("init", "<U2", r"'init' should be a string \(one value\)"),
        ("dropout", "<f8", r"'dropout' should be a float array \(one value\)"),
        ("metadata", "<U100", r"'metadata' should be a string of at most 1000 entries"),
    ],
)
def test_a_terabyte_header_under_any_known_key_is_refused(tmp_path, key, descr, message):
    path = write_zip(
        tmp_path / "m.npz", small_model_members(**{key: npy_header(TERA_SHAPE, descr)})
    )
    assert refused(path, rf"{message}, got \S+ of shape \(1000000, 1000000\)") < FEW_MB


def test_a_header_promising_more_than_its_member_holds_is_refused_before_reading(tmp_path):
    # 1000 strings of 100,000 characters: allowed by shape, but 400 MB that the file does not hold.
    path = write_zip(
        tmp_path / "m.npz", small_model_members(metadata=npy_header((1000,), "<U100000"))
    )
    peak = refused(
        path,
        r"not a model file \(a damaged .npz archive: the header of 'metadata' promises "
        r"400,000,000 bytes of data, its member holds 0\)",
    )
    assert peak < FEW_MB


def test_a_zip_bomb_of_a_few_mb_is_refused_without_inflating_it(tmp_path):
    # A consistent 784-60000-10 network (47.7 million parameters, under the limit) whose W0 is
    # 376 MB of zeros, deflated to under 2 MB. It is written in pieces, never held in memory.
    sizes = (784, 60000, 10)
    path = tmp_path / "bomb.npz"
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("layer_sizes.npy", npy(np.array(sizes)))
        with archive.open("W0.npy", "w", force_zip64=True) as member:
            member.write(npy_header((784, 60000)))
            left = 784 * 60000 * 8
            while left:
                member.write(zeros[: min(left, len(zeros))])
                left -= min(left, len(zeros))
        archive.writestr("b0.npy", npy(np.zeros(60000)))
        archive.writestr("W1.npy", npy(np.zeros((60000, 10))))
        archive.writestr("b1.npy", npy(np.zeros(10)))
    size = path.stat().st_size
    assert 1_000_000 < size < 4_000_000
    peak = refused(
        path,
        rf"bomb.npz: its {size:,} bytes would inflate into 381,\d{{3}},\d{{3}}: a zip bomb, not trained "
        r"weights; model files are .npz archives",
    )
    assert peak < FEW_MB


def test_an_archive_listing_thousands_of_members_is_refused_before_zipfile_reads_the_list(
    tmp_path,
):
    path = tmp_path / "many.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(5000):
            archive.writestr(f"x{i}.npy", b"")
    peak = refused(
        path,
        rf"many.npz: not a model file \(its archive lists 5,000 members in [\d,]+ bytes; a model "
        rf"file has at most {MAX_MEMBERS}\)",
    )
    assert peak < FEW_MB


def test_a_long_list_of_unexpected_arrays_is_shortened(tmp_path):
    extras = {f"x{i}": npy(np.zeros(1)) for i in range(20)}
    path = write_zip(tmp_path / "m.npz", small_model_members(**extras))
    refused(path, r"unexpected arrays \['x0', 'x1', 'x10', 'x11', 'x12', '... 15 more'\]")


def test_a_newer_format_version_is_refused_with_what_to_do(tmp_path):
    path = MLP((4, 2)).save(tmp_path / "m.npz")
    arrays = dict(np.load(path))
    arrays["format_version"] = np.array(999)
    np.savez(path, **arrays)
    message = r"m.npz: written in model file format 999, newer than this mlp_lib reads \(up to 3\)"
    refused(path, message + r"; update mlp_lib \(git pull\) to load it")
    np.savez(path, **arrays, new_member=np.zeros(3))  # a newer format may add members
    refused(path, message)


def test_metadata_with_equals_signs_round_trips_as_json(tmp_path):
    model = MLP((4, 2))
    model.metadata = {"a=b": "c=d=e", "note": "lr=0.1, batch=64", "empty": ""}
    path = model.save(tmp_path / "m.npz", **{"x=y": "1=2"})
    loaded = MLP.load(path)
    assert loaded.metadata == {**model.metadata, "x=y": "1=2"}
    with np.load(path) as archive:
        assert json.loads(str(archive["metadata"])) == loaded.metadata
        assert int(archive["format_version"]) == 3


def test_a_format_1_file_with_key_value_metadata_still_loads(tmp_path):
    model = MLP((4, 2), seed=3)
    path = tmp_path / "old.npz"
    np.savez(
        path,
        **model.parameters(),
        layer_sizes=np.array([4, 2]),
        init=np.array("he"),
        dtype=np.array("float32"),
        metadata=np.array(["preset=seed", "note=a=b"]),
    )
    loaded = MLP.load(path)
    assert loaded.metadata == {"preset": "seed", "note": "a=b"}
    np.testing.assert_array_equal(loaded.parameters()["W0"], model.parameters()["W0"])


def test_a_folder_is_not_a_model_file(tmp_path):
    (tmp_path / "models").mkdir()
    with pytest.raises(
        ModelFormatError, match=r"models: is a folder, not a model file; give the .npz file's path"
    ):
        MLP.load(tmp_path / "models")


def test_a_symbolic_link_loop_cannot_be_read_and_says_so(tmp_path):
    loop = tmp_path / "loop.npz"
    os.symlink(loop, loop)  # a link to itself
    with pytest.raises(
        ModelFormatError, match=r"loop.npz: cannot be read \(Too many levels of symbolic links\)"
    ):
        MLP.load(loop)


# ---- what MLP.save writes, MLP.load reads: one set of limits --------------------------------


def test_one_parameter_limit_for_the_network_the_recipe_and_the_file(tmp_path, monkeypatch):
    import mlp_lib.model_file as model_file
    from mlp_lib import Recipe

    # Lowered in its one place, the limit moves for all three: 784-10-10 has exactly 7,960.
    monkeypatch.setattr(model_file, "MAX_PARAMETERS", 7960)
    model = MLP((784, 10, 10), seed=1)
    loaded = MLP.load(model.save(tmp_path / "largest.npz"))
    np.testing.assert_array_equal(loaded.parameters()["W0"], model.parameters()["W0"])
    assert Recipe(hidden_sizes=(10,)).layer_sizes == (784, 10, 10)
    too_many = (
        r"a 784-11-10 network has 8,755 parameters \(0.0 GB in float32\), more than the 7,960"
    )
    with pytest.raises(ValueError, match=rf"^layer_sizes \(784, 11, 10\): {too_many} mlp_lib"):
        MLP((784, 11, 10))
    with pytest.raises(ValueError, match=rf"^hidden_sizes \(11,\): {too_many} mlp_lib trains"):
        Recipe(hidden_sizes=(11,))
    monkeypatch.setattr(model_file, "MAX_PARAMETERS", 8755)
    bigger = MLP((784, 11, 10))
    path = bigger.save(tmp_path / "bigger.npz")
    old = write_zip(tmp_path / "old.npz", old_format_members(bigger))  # format 2
    monkeypatch.setattr(model_file, "MAX_PARAMETERS", 7960)
    with pytest.raises(
        ModelFormatError,
        match=r"bigger.npz: its layers have 8,755 parameters \(0.0 GB in float32\), more than the "
        r"7,960 mlp_lib trains, saves and loads$",
    ):
        MLP.load(path)
    with pytest.raises(
        ModelFormatError,
        match=rf"old.npz: its layer_sizes \[784, 11, 10\]: {too_many} mlp_lib trains, saves "
        r"and loads; is this the right file\?$",
    ):
        MLP.load(old)


@pytest.mark.slow
def test_the_largest_network_allowed_saves_and_loads(tmp_path):
    # One 4,999,999 x 10 layer: exactly 50,000,000 parameters, 200 MB in float32.
    sizes = (MAX_PARAMETERS // 10 - 1, 10)
    model = MLP(sizes, seed=0)
    path = model.save(tmp_path / "largest.npz")
    loaded = MLP.load(path)
    np.testing.assert_array_equal(loaded.parameters()["b0"], model.parameters()["b0"])
    assert loaded.layer_sizes == sizes
    with pytest.raises(ValueError, match=r"50,000,010 parameters .* more than the 50,000,000"):
        MLP((sizes[0] + 1, 10))


def test_the_layer_count_limit_is_the_same_for_the_network_the_recipe_and_the_file(tmp_path):
    from mlp_lib import Recipe

    sizes = (3,) * MAX_LAYERS
    assert MLP.load(MLP(sizes).save(tmp_path / "deep.npz")).layer_sizes == sizes
    message = rf"a network has 2 to {MAX_LAYERS} layer sizes \(the inputs, the hidden layers, "
    message += rf"the outputs\), got {MAX_LAYERS + 1}"
    with pytest.raises(ValueError, match=rf"^layer_sizes \(3, .*\): {message}; try fewer"):
        MLP((3,) * (MAX_LAYERS + 1))
    assert len(Recipe(hidden_sizes=(3,) * (MAX_LAYERS - 2)).layer_sizes) == MAX_LAYERS
    with pytest.raises(ValueError, match=rf"^hidden_sizes \(3, .*\): {message}; try e.g."):
        Recipe(hidden_sizes=(3,) * (MAX_LAYERS - 1))


def test_metadata_at_its_limits_saves_and_loads(tmp_path):
    keys = {f"k{i}": "v" for i in range(MAX_METADATA_KEYS)}
    assert MLP.load(MLP((4, 2)).save(tmp_path / "keys.npz", **keys)).metadata == keys
    note = "é" * 10 + "x" * (MAX_METADATA_CHARS - len('{"note": ""}') - 60)  # é is \u00e9 in JSON
    assert len(json.dumps({"note": note})) == MAX_METADATA_CHARS
    assert MLP.load(MLP((4, 2)).save(tmp_path / "long.npz", note=note)).metadata == {"note": note}


def test_metadata_beyond_its_limits_is_refused_by_save_naming_the_limit(tmp_path):
    path = MLP((4, 2), seed=1).save(tmp_path / "m.npz")  # an earlier save: left as it was
    before = path.read_bytes()
    path.chmod(0o640)
    keys = {f"k{i}": "v" for i in range(MAX_METADATA_KEYS + 1)}
    with pytest.raises(
        ValueError,
        match=r"^cannot save \S+/m.npz: the metadata has 1,001 keys, more than the 1,000 a model "
        r"file holds; keep fewer$",
    ):
        MLP((4, 2)).save(path, **keys)
    note = "x" * (MAX_METADATA_CHARS - len('{"note": ""}') + 1)
    with pytest.raises(
        ValueError,
        match=r"^cannot save \S+/m.npz: the metadata is 100,001 characters long as JSON, more than "
        r"the 100,000 a model file holds; its longest entry is 'note' \(4 \+ 99,989 characters\): "
        r"shorten it$",
    ):
        MLP((4, 2)).save(path, note=note)
    assert path.read_bytes() == before and (path.stat().st_mode & 0o777) == 0o640
    assert os.listdir(tmp_path) == ["m.npz"]


def test_metadata_beyond_its_limits_in_a_file_is_refused_naming_the_limit(tmp_path):
    version_2 = npy(np.array(2))  # metadata as JSON
    too_many = json.dumps({f"k{i}": "v" for i in range(MAX_METADATA_KEYS + 1)})
    members = small_model_members(format_version=version_2, metadata=npy(np.array(too_many)))
    path = write_zip(tmp_path / "keys.npz", members)
    refused(path, r"keys.npz: the metadata has 1,001 keys, more than the 1,000 a model file holds")
    too_long = json.dumps({"note": "x" * MAX_METADATA_CHARS})
    members = small_model_members(format_version=version_2, metadata=npy(np.array(too_long)))
    path = write_zip(tmp_path / "long.npz", members)
    refused(
        path,
        r"long.npz: 'metadata' is a string of 100,012 characters, more than the 100,000 a model "
        r"file holds; is this the right file\?$",
    )


def test_metadata_values_that_are_not_strings_are_saved_as_strings(tmp_path):
    model = MLP((4, 2))
    model.metadata = {"epochs": 3, 7: None}
    assert MLP.load(model.save(tmp_path / "m.npz")).metadata == {"epochs": "3", "7": "None"}


def test_a_float32_file_holding_float64_values_too_large_for_float32_is_refused(tmp_path):
    # A crafted file: declares float32, stores W0 as float64 with 1e300 (inf once converted).
    W0 = np.zeros((4, 2))
    W0[1, 1] = -1e300
    members = small_model_members(W0=npy(W0), dtype=npy(np.array("float32")))
    path = write_zip(tmp_path / "m.npz", members)
    refused(
        path,
        r"m.npz: W0 holds values up to 1e\+300, more than float32 can hold \(at most 3.4e\+38\); "
        r"the file declares float32, so MLP.save did not write it: is this the right file\?$",
    )


def test_a_float64_file_keeps_its_values_exactly_and_refuses_to_become_inf_in_float32(tmp_path):
    model = MLP((4, 2), dtype=np.float64)
    extremes = [1e300, -1e300, 5e-324, -0.0, np.pi, 1 / 3, np.finfo(np.float64).max, 2.0**-1074]
    model.parameters()["W0"][...] = np.array(extremes).reshape(4, 2)
    path = model.save(tmp_path / "m.npz")
    W0 = MLP.load(path).parameters()["W0"]
    assert W0.dtype == np.float64 and W0.tobytes() == model.parameters()["W0"].tobytes()
    with pytest.raises(
        ModelFormatError,
        match=r"m.npz: layer0.W holds values up to 1.8e\+308, more than float32 can hold \(at most "
        r"3.4e\+38\); load it as float64, the dtype it was saved in \(dtype=None\)$",
    ):
        MLP.load(path, dtype=np.float32)


def test_save_refuses_weights_load_would_refuse_and_leaves_the_old_file(tmp_path):
    path = MLP((4, 2), seed=1).save(tmp_path / "m.npz")
    before = path.read_bytes()
    diverged = MLP((4, 2))
    diverged.parameters()["b0"][1] = np.inf
    with pytest.raises(
        ValueError,
        match=r"^cannot save \S+/m.npz: layer0.b contains 1 nan or inf value; a model file holds finite "
        r"numbers only: did training diverge\?$",
    ):
        diverged.save(path)
    swapped = MLP((4, 2))  # float32, with a float64 array put in its place by hand
    swapped.layers[0].params["W"] = np.full((4, 2), 1e300)
    with pytest.raises(
        ValueError,
        match=r"^cannot save \S+/m.npz: layer0.W holds values up to 1e\+300, more than float32 can hold "
        r"\(at most 3.4e\+38\); keep them within its range, or make the model float64$",
    ):
        swapped.save(path)
    reshaped = MLP((4, 2))
    reshaped.layers[0].params["W"] = np.zeros((2, 4), np.float32)
    with pytest.raises(
        ValueError, match=r"^cannot save \S+/m.npz: layer0.W has shape \(2, 4\), expected \(4, 2\)$"
    ):
        reshaped.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.npz"]


# ---- format 3: the network as a list of layers ----------------------------------------------


def test_format_3_stores_the_layers_as_json_and_their_arrays_under_their_position(tmp_path):
    model = MLP((4, 3, 2), dropout=0.1, activation="tanh", dtype=np.float64)
    path = model.save(tmp_path / "m.npz", preset="demo")
    with np.load(path) as archive:
        assert archive.files == [
            "layer0.W",
            "layer0.b",
            "layer3.W",
            "layer3.b",
            "format_version",
            "layers",
            "dtype",
            "metadata",
        ]
        assert int(archive["format_version"]) == 3 and str(archive["dtype"]) == "float64"
        assert json.loads(str(archive["layers"])) == [
            {
                "name": "linear",
                "config": {"n_in": 4, "n_out": 3, "init": "he", "compute_dx": False},
            },
            {"name": "tanh", "config": {}},
            {"name": "dropout", "config": {"p": 0.1}},
            {"name": "linear", "config": {"n_in": 3, "n_out": 2, "init": "he", "compute_dx": True}},
        ]
        assert json.loads(str(archive["metadata"])) == {"preset": "demo"}
        np.testing.assert_array_equal(archive["layer3.W"], model.layers[3].params["W"])


@pytest.mark.parametrize("version", [1, 2])
def test_format_1_and_2_files_load_as_the_layers_mlp_builds_from_their_settings(tmp_path, version):
    model = MLP((6, 5, 4, 3), init="normal", dropout=0.2, dtype=np.float64, seed=4)
    model.metadata = {"preset": "seed", "note": "a=b"}
    path = write_zip(tmp_path / "old.npz", old_format_members(model, version))
    loaded = MLP.load(path)
    assert repr(loaded) == "MLP(6 -> 5 -> 4 -> 3, init='normal', dropout=0.2, dtype=float64)"
    assert [type(a) for a in loaded.layers] == [type(b) for b in model.layers]
    assert loaded.metadata == model.metadata
    for key, value in model.parameters().items():
        np.testing.assert_array_equal(loaded.parameters()[key], value)
    resaved = MLP.load(loaded.save(tmp_path / "new.npz"))  # and saved again, in format 3
    X = np.random.default_rng(0).random((4, 6))
    np.testing.assert_array_equal(resaved.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    "name, version, dataset, correct",
    [
        ("best", 1, "mnist", 9910),
        ("best-fashion-mnist", 1, "fashion-mnist", 8841),
        ("record", 2, "mnist", 9943),
        ("seed", 1, "mnist", 9605),
    ],
)
def test_the_committed_models_load_and_keep_their_accuracy_when_saved_in_format_3(
    tmp_path, name, version, dataset, correct
):
    path = ROOT / "models" / f"{name}.npz"
    with np.load(path) as archive:
        assert int(archive["format_version"]) == version  # written before format 3
    model = MLP.load(path)
    normalize = model.metadata["normalize"] == "True"
    X_test, y_test = load_mnist("test", dataset, normalize=normalize)
    assert evaluate(model, X_test, y_test).correct == correct
    resaved = MLP.load(model.save(tmp_path / "m.npz"))
    assert repr(resaved) == repr(model) and resaved.metadata == model.metadata
    for key, value in model.parameters().items():
        assert resaved.parameters()[key].tobytes() == value.tobytes()
    X = X_test[:1000]  # the same parameters bit for bit: the same predictions, checked on a few
    np.testing.assert_array_equal(resaved.predict_proba(X), model.predict_proba(X))


def format_3_members(folder, **changes):
    """The members of the file ``MLP((4, 3, 2)).save`` writes, with some replaced (None removes
    one); a list given for ``layers`` is written as its JSON."""
    path = MLP((4, 3, 2), dtype=np.float64).save(folder / "source.npz")
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    path.unlink()
    for key, value in changes.items():
        members[f"{key}.npy"] = (
            npy(np.array(json.dumps(value))) if isinstance(value, list) else value
        )
    return {name: data for name, data in members.items() if data is not None}


LINEAR_4_3 = {
    "name": "linear",
    "config": {"n_in": 4, "n_out": 3, "init": "he", "compute_dx": False},
}
LINEAR_3_2 = {"name": "linear", "config": {"n_in": 3, "n_out": 2, "init": "he", "compute_dx": True}}


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"layers": [LINEAR_4_3, {"name": "softmax"}, LINEAR_3_2]},
            r"m.npz: layer 1: unknown layer 'softmax'; the layers are linear, relu, sigmoid, tanh, "
            r"dropout$",
        ),
        (
            {"layers": [{**LINEAR_4_3, "config": {**LINEAR_4_3["config"], "bias": 0}}, LINEAR_3_2]},
            r"m.npz: layer 0: a 'linear' layer takes n_in, n_out, init, compute_dx; got unknown "
            r"\['bias'\]$",
        ),
        (
            {"layers": [{"name": "linear", "config": {"n_in": 4, "n_out": 3, "init": "zeros"}}]},
            r"m.npz: layer 0: init must be one of normal, he, xavier, got 'zeros'$",
        ),
        (
            {"layers": [{"name": "dropout", "config": {"p": float("nan")}}, LINEAR_4_3]},
            r"m.npz: layer 0: dropout probability p must be a number in \[0, 1\), got nan",
        ),
        ({"layers": npy(np.array("[{"))}, r"m.npz: 'layers' is not valid JSON$"),
        ({"layers": npy(np.array("[" * 40_000 + "]" * 40_000))}, r"'layers' is not valid JSON$"),
        (
            {"layers": npy(np.array('{"name": "relu"}'))},
            r"'layers' must be a list of 1 to 192 layers",
        ),
        (
            {"layers": [{"name": "relu"}] * 193},
            r"m.npz: 'layers' must be a list of 1 to 192 layers, ",
        ),
        ({"layers": None}, r"m.npz: missing 'layers'; not a model saved by MLP.save$"),
        ({"dtype": npy(np.array("float16"))}, r"m.npz: unsupported dtype 'float16'; a model file "),
        (
            {"metadata": npy(np.array("[1]"))},
            r"m.npz: 'metadata' must be a JSON object of strings$",
        ),
        (
            {"layer0.b": None, "layer1.W": npy(np.zeros((3, 3)))},
            r"m.npz: keys do not match its layers \(missing \['layer0.b'\], unexpected "
            r"\['layer1.W'\]\)$",
        ),
        (
            {"layer0.W": npy(np.zeros((3, 4)))},
            r"m.npz: layer0.W should be a float array of shape \(4, 3\), got float64 of shape "
            r"\(3, 4\)$",
        ),
        ({"layer0.W": npy(np.zeros((4, 3), np.int64))}, r"layer0.W should be a float array of"),
        ({"extra": npy(np.zeros(1))}, r"m.npz: unexpected arrays \['extra'\]; model files are"),
        ({"W0": npy(np.zeros((4, 3)))}, r"m.npz: unexpected arrays \['W0'\]; model files are"),
        ({"format_version": npy(np.array(0))}, r"m.npz: 'format_version' must be 1 to 3, got 0"),
        (
            {
                "layers": [
                    LINEAR_4_3,
                    {"name": "relu"},
                    {**LINEAR_3_2, "config": {"n_in": 2, "n_out": 2}},
                ],
                "layer2.W": npy(np.zeros((2, 2))),  # arrays that match the layers
                "layer2.b": npy(np.zeros(2)),
            },
            r"m.npz: Linear\(4 -> 3, init='he'\) is followed by Linear\(2 -> 2, init='he'\): a "
            r"Linear layer's n_in must be the n_out of the one before it \(3\); is this the right "
            r"file\?$",
        ),
        (
            {
                "layers": [{"name": "relu"}],
                **dict.fromkeys(["layer0.W", "layer0.b", "layer2.W", "layer2.b"]),  # removed
            },
            r"m.npz: an MLP needs at least one Linear layer, got \[ReLU\(\)\]; is this the",
        ),
    ],
)
def test_a_crafted_format_3_file_is_refused_saying_what_is_wrong(tmp_path, changes, message):
    members = format_3_members(tmp_path, **changes)
    path = write_zip(tmp_path / "m.npz", members)
    assert refused(path, message) < FEW_MB


def test_a_format_3_file_declaring_a_huge_layer_is_refused_before_reading_or_building(tmp_path):
    huge = {"name": "linear", "config": {"n_in": 10**6, "n_out": 10**6}}
    members = format_3_members(tmp_path, layers=[huge], **{"layer0.W": npy_header(TERA_SHAPE)})
    path = write_zip(tmp_path / "m.npz", members)
    peak = refused(
        path,
        r"m.npz: its layers have 1,000,001,000,000 parameters \(4,000.0 GB in float32\), more than "
        r"the 50,000,000 mlp_lib trains, saves and loads$",
    )
    assert peak < FEW_MB


@pytest.mark.parametrize(
    "key, descr, message",
    [
        ("layers", "<U10", r"'layers' should be a string \(one value\)"),
        ("dtype", "<U7", r"'dtype' should be a string \(one value\)"),
        ("layer0.b", "<f8", r"layer0.b should be a float array of shape \(3,\)"),
    ],
)
def test_a_terabyte_header_in_a_format_3_file_is_refused(tmp_path, key, descr, message):
    members = format_3_members(tmp_path, **{key: npy_header(TERA_SHAPE, descr)})
    path = write_zip(tmp_path / "m.npz", members)
    assert refused(path, rf"{message}, got \S+ of shape \(1000000, 1000000\)") < FEW_MB


def test_a_format_3_string_too_long_is_refused_from_its_header(tmp_path):
    members = format_3_members(tmp_path, layers=npy_header((), "<U200000"))
    path = write_zip(tmp_path / "m.npz", members)
    message = r"m.npz: 'layers' is a string of 200,000 characters, more than the 100,000 a model"
    assert refused(path, message) < FEW_MB


# ---- writing: a SavedModel, checked as loading will check it ---------------------------------


def test_a_saved_model_is_built_by_keyword_and_its_fields_are_the_file_s():
    with pytest.raises(TypeError):
        SavedModel([], [], "float32", {})  # by position: refused
    saved = SavedModel(layers=[LINEAR_3_2], parameters=[{}])
    assert saved.dtype == "float32" and saved.metadata == {}
    # A new field: one attribute here and one entry in FIELDS, in model_file.py alone.
    assert {f.name for f in dataclasses.fields(SavedModel)} == {"parameters", *FIELDS}


def test_a_field_that_is_not_required_takes_its_default_when_a_file_lacks_it(tmp_path, monkeypatch):
    import mlp_lib.model_file as model_file

    path = write_zip(tmp_path / "m.npz", format_3_members(tmp_path, metadata=None))
    refused(path, r"m.npz: missing 'metadata'; not a model saved by MLP.save$")
    # A field added after format 3: files written before it have no such member.
    later = model_file.Field(model_file.check_metadata, required=False)
    monkeypatch.setitem(model_file.FIELDS, "metadata", later)
    assert MLP.load(path).metadata == {}


def small_saved(**changes):
    """A SavedModel of a 3-2 network, with some fields replaced."""
    linear = {"name": "linear", "config": {"n_in": 3, "n_out": 2}}
    parameters = [{"W": np.zeros((3, 2)), "b": np.zeros(2)}]
    return dataclasses.replace(SavedModel(layers=[linear], parameters=parameters), **changes)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"layers": [{"name": "softmax"}]}, r"layer 0: unknown layer 'softmax'; the layers are "),
        (
            {"layers": [{"name": "dropout", "config": {"p": np.float32(0.1)}}]},
            r"its layers cannot be written as JSON \(Object of type float32 is not JSON serializable\)",
        ),
        (
            {"layers": "relu"},
            r"'layers' must be a list of 1 to 192 layers, got str$",
        ),
        (
            {"dtype": "float16"},
            r"unsupported dtype 'float16'; a model file holds float32 or float64$",
        ),
        ({"dtype": np.float32}, r"unsupported dtype <class 'numpy.float32'>; a model file holds "),
        (
            {"parameters": [{"W": np.zeros((3, 2))}]},
            r"the parameters do not match the layers \(missing \['layer0.b'\], unexpected \[\]\); "
            r"give one dict of arrays per layer$",
        ),
        ({"parameters": {"W0": np.zeros((3, 2))}}, r"the parameters do not match the layers \(mis"),
        ({"metadata": {"a": 1}}, r"'metadata' must be a JSON object of strings$"),
    ],
)
def test_write_model_file_refuses_what_loading_would_refuse_before_writing(
    tmp_path, changes, message
):
    path = tmp_path / "m.npz"
    with pytest.raises(ValueError, match=rf"^cannot save \S+/m.npz: {message}"):
        write_model_file(path, small_saved(**changes))
    assert not path.exists()
    write_model_file(path, small_saved())  # and the same without the change is written
    assert MLP.load(path).layer_sizes == (3, 2)


def test_a_field_longer_than_a_file_holds_is_refused_when_saving(tmp_path, monkeypatch):
    import mlp_lib.model_file as model_file

    monkeypatch.setattr(model_file, "MAX_METADATA_CHARS", 100)
    with pytest.raises(
        ValueError,
        match=r"^cannot save \S+/m.npz: 'layers' is 211 characters long, more than the 100 a "
        r"model file holds$",
    ):
        MLP((4, 3, 2)).save(tmp_path / "m.npz")


@pytest.mark.parametrize(
    "shapes, message",
    [
        (
            [{"a": (1,), "b": (1,), "c": (1,)}] * 43,
            rf"its layers hold 129 parameter arrays, more than the {MAX_ARRAYS} a model file holds$",
        ),
        (
            [{"1x": (1,)}],
            r"a parameter's name must be a letter and up to 19 letters, digits or _, got '1x'$",
        ),
        ([{"layer.W": (1,)}], r"a parameter's name must be a letter .* got 'layer.W'$"),
    ],
)
def test_check_layers_size_refuses_arrays_a_file_could_not_name_or_hold(shapes, message):
    assert MAX_ARRAYS == 2 * (MAX_LAYERS - 1) and MAX_MEMBERS == MAX_ARRAYS + 6
    check_layers_size([{"W": (4, 3), "b": (3,)}] * (MAX_LAYERS - 1), "net")  # the most it holds
    with pytest.raises(ValueError, match=rf"^net: {message}"):
        check_layers_size(shapes, "net")
