"""Named benchmark data sets: the paper's settings for each and where its files live.

The paper's 18 data sets (Atashgahi et al., ECAI 2024, Table 2) plus ``fashion_mnist`` and
``mnist_test10k`` are described once, in :data:`DATASETS`. Each is read from the data folder
(:func:`resolve_data_dir`): first ``<name>.npz`` in the layout of ``shared/data`` (checked against
its sha256 when we know it), else the files its public source publishes. ``madelon`` also ships
inside the package (``files/madelon.npz``), so the default job runs with no data folder at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .readers import USER_SUFFIXES, file_suffix

BUNDLED = Path(__file__).parent / "files"

_SKF = "scikit-feature repository (featureselection.asu.edu; jundongl.github.io/scikit-feature/datasets)"
_NPZ_LAYOUT = "(arrays X, y, classes, optional train_idx/test_idx)"


@dataclass(frozen=True)
class DatasetInfo:
    """Facts and the paper's settings for one named data set.

    ``fmt`` says how the source's own files are read ("mat", "nips", "har", "mnist", or None
    when only ``<name>.npz`` is accepted); ``markers`` are the paths, relative to the data
    folder, whose presence means those files are there; ``files`` describes them for people.
    """

    name: str
    aliases: tuple
    n_samples: int
    n_features: int
    n_classes: int
    domain: str
    source: str
    fmt: str | None
    markers: tuple
    files: str
    sha256: str | None
    batch_size: int
    k: int = 100
    scaling: str = "standard"
    image_shape: tuple | None = None
    in_paper: bool = True
    official_split: bool = True


def _skf(name, file, n, d, c, domain, bs, sha=None, aliases=(), image=None, **kw):
    """Entry for a scikit-feature ``.mat`` data set (keys X, Y)."""
    return DatasetInfo(name, aliases, n, d, c, domain, kw.pop("source", f"{_SKF}, {file}"),
                       "mat", (file,), f"{file} (scikit-feature, keys X and Y)", sha, bs,
                       image_shape=image, **kw)


_IDX = ("the idx files train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz")
_TABLE = [
    DatasetInfo("mnist", ("mnist70k",), 70000, 784, 10, "Hand-written",
                "http://yann.lecun.com/exdb/mnist/ (CSV: https://pjreddie.com/projects/mnist-in-csv/)",
                "mnist", ("mnist_train.csv", "mnist/mnist_train.csv", "train-images-idx3-ubyte",
                          "mnist/train-images-idx3-ubyte"),
                f"mnist_train.csv and mnist_test.csv (label in column 0), or {_IDX}", None, 100,
                scaling="minmax", image_shape=(28, 28)),
    _skf("usps", "USPS.mat", 9298, 256, 10, "Hand-written", 100,
         "c79e898f76ddea1af94de622a2417aac2ed1be8d60addd7fb30a917249049075", image=(16, 16),
         source="USPS digits, ESL zip.train/zip.test (hastie.su.domains/ElemStatLearn); "
                f"the paper used {_SKF}, USPS.mat",
         # The paper's USPS.mat carried no split, so it used the random 80/20 split (test 1860).
         official_split=False),
    DatasetInfo("gisette", (), 7000, 5000, 2, "Hand-written",
                "NIPS 2003 feature selection challenge, https://archive.ics.uci.edu/dataset/170/gisette",
                "nips", ("gisette/gisette_train.data", "gisette_train.data"),
                "the folder gisette/ with gisette_{train,valid}.{data,labels} (NIPS 2003 text format)",
                None, 100),
    _skf("coil20", "COIL20.mat", 1440, 1024, 20, "Image", 100,
         "a0d12f60acb12dec54573200b7f14c13d128b7764b9d031e0a564f4d18057f43", image=(32, 32)),
    _skf("orl", "ORL.mat", 400, 1024, 40, "Image", 100,
         "34d16765f3048f4ba3169c542e4bbabc8c6607553718ca525573d89148235962", image=(32, 32)),
    _skf("yale", "Yale.mat", 165, 1024, 15, "Image", 32,
         "9d95eb96fb1073b244dcd60746ed278d04e54fafb30d37dfb67ba7cdd70e327b", image=(32, 32)),
    _skf("basehock", "BASEHOCK.mat", 1993, 4862, 2, "Text", 32,
         "e69d54d0357b673cd3adea13d0408a3920f6751f7f0fe0d08afff9de8b956f10"),
    _skf("pcmac", "PCMAC.mat", 1943, 3289, 2, "Text", 32,
         "c3544f923af09039a077c7c34c8635c91e8ef339ce682a3705e8077080c9581a"),
    _skf("relathe", "RELATHE.mat", 1427, 4322, 2, "Text", 32,
         "4899f2b3d40de97f3551618f9b9b73fa491491165805e6bd97bd987c18acc7e3"),
    _skf("prostate_ge", "Prostate_GE.mat", 102, 5966, 2, "Biological", 32,
         "d99ba6608c98dcd5208036917f1c9f3dd58b0c884263a8bc053a2e1edba38c24", aliases=("prostate",)),
    _skf("smk_can_187", "SMK_CAN_187.mat", 187, 19993, 2, "Biological", 32, aliases=("smk",)),
    _skf("cll_sub_111", "CLL-SUB-111.mat", 111, 11340, 3, "Biological", 32, aliases=("cll",)),
    _skf("lymphoma", "lymphoma.mat", 96, 4026, 9, "Biological", 32,
         "9c2404f8cc4548916fd02355506fcef5f75636aa8837d72652417a86a308b3f9"),
    _skf("carcinom", "Carcinom.mat", 174, 9182, 11, "Biological", 32, aliases=("carcinoma",)),
    DatasetInfo("har", ("uci_har", "uci_har_dataset"), 10299, 561, 6, "Time series",
                "https://archive.ics.uci.edu/dataset/240/human+activity+recognition+using+smartphones",
                "har", ("UCI HAR Dataset/train/X_train.txt", "har/UCI HAR Dataset/train/X_train.txt",
                        "har/train/X_train.txt"),
                "the folder 'UCI HAR Dataset/' with {train,test}/{X,y}_{train,test}.txt", None, 100),
    _skf("arcene", "arcene.mat", 200, 10000, 2, "Mass spec.", 32,
         "a9ddaac553a5ea5e92d1e2ff80e5f997b8136b93ebb5d04bd942e12f7640c92f",
         source=f"NIPS 2003 challenge (archive.ics.uci.edu/dataset/167/arcene) via {_SKF}, arcene.mat"),
    _skf("isolet", "Isolet.mat", 1560, 617, 26, "Speech", 100,
         "6fd6e2bebca990013b779c05c409f964ccf5aafc0f1c8240a273f12d95974826"),
    DatasetInfo("madelon", (), 2600, 500, 2, "Artificial",
                "NIPS 2003 feature selection challenge, https://archive.ics.uci.edu/dataset/171/madelon",
                "nips", ("MADELON/madelon_train.data", "madelon_original/madelon_train.data",
                         "madelon_train.data"),
                "the folder MADELON/ with madelon_{train,valid}.{data,labels} (NIPS 2003 text format)",
                "314cfa2bf5aadc9c0471f619d5aded7bd20e4c4ef4283406ae10720e0a843ae1", 64, k=20),
    DatasetInfo("fashion_mnist", ("fmnist",), 70000, 784, 10, "Image",
                "Zalando Research, https://github.com/zalandoresearch/fashion-mnist (MIT)",
                "mnist", ("fashion_mnist/train-images-idx3-ubyte", "fashion-mnist/train-images-idx3-ubyte"),
                f"the folder fashion_mnist/ with {_IDX}",
                "a1245681f24f761acd9a21a1a1f4b35281fea5951bb404dc63e4c210d99246eb", 100,
                scaling="minmax", image_shape=(28, 28), in_paper=False),
    DatasetInfo("mnist_test10k", ("mnist10k",), 10000, 784, 10, "Hand-written",
                "the official MNIST t10k test images, http://yann.lecun.com/exdb/mnist/",
                None, (), "nothing else (only the .npz is read)",
                "f640b53154e96b64277857a24360331e4e983fe64846b93293e5fbb1e2ce9f66", 100,
                scaling="minmax", image_shape=(28, 28), in_paper=False),
]

#: Every named data set by canonical name.
DATASETS: dict[str, DatasetInfo] = {info.name: info for info in _TABLE}


def _norm(name: str) -> str:
    """Canonical spelling of a name: case-insensitive, with '-' and ' ' read as '_'."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


_BY_ALIAS = {_norm(a): info for info in _TABLE for a in (info.name, *info.aliases)}


def get_info(name: str) -> DatasetInfo:
    """Look a named data set up by name or alias (case-insensitive); InputError if unknown."""
    info = _BY_ALIAS.get(_norm(str(name)))
    if info is None:
        raise InputError(f"Unknown data set '{name}'; use one of {', '.join(DATASETS)}, "
                         f"or the path of a file ({', '.join(USER_SUFFIXES)}).")
    return info


def resolve_data_dir(data_dir=None) -> Path:
    """The data folder: ``data_dir`` if given, else $SPARSEFS_DATA, else the user cache folder
    ($XDG_CACHE_HOME/sparsefs or ~/.cache/sparsefs). The folder need not exist."""
    if data_dir:
        return Path(data_dir).expanduser()
    if os.environ.get("SPARSEFS_DATA"):
        return Path(os.environ["SPARSEFS_DATA"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "sparsefs"


def data_root(data_dir) -> Path:
    """Resolve the data folder, rejecting one that was named explicitly but does not exist
    (a typo there would otherwise fall back silently to the bundled madelon)."""
    root = resolve_data_dir(data_dir)
    explicit = bool(data_dir) or bool(os.environ.get("SPARSEFS_DATA"))
    if explicit and not root.is_dir():
        raise InputError(f"Data folder {root} does not exist; create it or point --data-dir "
                         "(or SPARSEFS_DATA) at the folder that holds the data files.")
    return root




def is_file_argument(arg) -> bool:
    """The one rule for "is this a file or a data-set name": a file when it ends in a known
    suffix (``genes.csv.gz`` too), contains a path separator, or is an existing path that is
    no data-set name."""
    arg = str(arg)
    path = Path(arg).expanduser()
    if file_suffix(path) in USER_SUFFIXES or os.sep in arg or "/" in arg:
        return True
    return _norm(arg) not in _BY_ALIAS and path.exists()
