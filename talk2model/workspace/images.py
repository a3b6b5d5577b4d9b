"""Image workspaces: a folder of PNG files (or an .npz of arrays) + a PyTorch classifier.

    name = "digits"
    kind = "image"
    [data]
    path = "../data/digits/digits.npz"     # arrays: images (N,H,W | N,C,H,W | N,H,W,C), labels, ids
    # or: index = "labels.csv" (columns id, file, label) + folder = "png/" (default: the CSV's folder)
    [images]                                # declared, or inferred from the data
    height = 8
    width = 8
    channels = 1
    range = [0, 16]                         # the values the model reads (PNG 0..255 is mapped onto it)
    background = "dark"                     # "dark": ink is the high values; "light": ink is dark
    [model]
    path = "../models/digits-cnn.pt"        # a state dict, loaded with torch.load(weights_only=True)
    architecture = "digits-cnn"             # ... into this class of talk2model.workspace.architectures
    # or: path = "model.ts" (TorchScript)
    train_ids = "../models/digits.train_ids.json"
    [schema]                                # target (default "label"), entity, classes, class_synonyms

Images are addressed like rows: the workspace's `data` holds one row per image (indexed by id,
with the true label), and `images` the pixels in the same order. `X(frame)` gives the pixels of
a frame's rows, so predictions, probabilities, filters on `prediction` and `confidence` and the
operations work as for a table.

Nothing from a file runs as Python: PNGs are decoded by Pillow, arrays come from `np.load(...,
allow_pickle=False)`, weights from `torch.load(..., weights_only=True)`. Every error names the
field and the fix (texts are module constants, asserted by the tests).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from talk2model.errors import WorkspaceError

# ---- user-facing texts ----------------------------------------------------------------------
ERR_NO_IMAGES = ("[data] of an image workspace needs path = an .npz file of arrays (images, labels), "
                 "or index = a CSV of id, file, label with the PNG files beside it (folder = ...)")
ERR_NO_FILE = "[data] {field}: no file at {path}; check the path (relative paths are read from the workspace file's folder)"
ERR_NPZ_READ = "[data] {name} could not be read as an .npz file of arrays ({why})"
ERR_NPZ_KEY = "[data] {name} has no array '{key}' (it has: {keys}); save the images as 'images' and the true classes as 'labels'"
ERR_NPZ_LENGTH = "[data] {name}: {what} has {got} entries but there are {n} images; give one per image"
ERR_INDEX_COLUMNS = "[data] index {name} must have the columns id, file and label; it has {columns}"
ERR_OUTSIDE = "[data] index {name}: file '{file}' is outside the image folder {folder}; give paths inside it"
ERR_PNG_MISSING = "[data] index {name}: no image file '{file}' in {folder}"
ERR_PNG_READ = "[data] {file} could not be read as an image ({why})"
ERR_SHAPE = ("[images] the workspace says {declared}, but {where} is {actual}; fix [images] "
             "height / width / channels, or the data")
ERR_SIZES_DIFFER = ("[data] the images are not all the same size: {first} is {a} and {other} is {b}; "
                    "resize them to one size")
ERR_IDS = "[data] image ids must be unique; {id!r} appears more than once"
ERR_RANGE = "[images] range must be two numbers [low, high] with low < high, not {value!r}"
ERR_BACKGROUND = "[images] background must be \"dark\" (ink is the high values) or \"light\", not {value!r}"
ERR_DIM = "[images] {key} must be a whole number of at least 1, not {value!r}"
ERR_ARCH_MISSING = ("[model] architecture is missing: a .pt file holds weights only, so name the "
                    "architecture they belong to (one of: {names}), or give a TorchScript file")
ERR_NOT_STATE_DICT = ("[model] {name} is not a state dict of tensors ({why}); save the weights only, "
                      "torch.save(model.state_dict(), \"{name}\"), and name the architecture in the "
                      "workspace file. Pickled modules are refused: loading one runs code from the file")
ERR_STATE_MISMATCH = ("[model] {name} does not fit architecture '{arch}' with these [model.options] "
                      "({why}); name the architecture the weights were trained with, and its options")
ERR_IMAGE_MODEL_FORMAT = ("[model] an image workspace loads a state dict (.pt / .pth with "
                          "architecture = ...) or TorchScript (.ts); not '{suffix}' files")
ERR_TORCHSCRIPT = "[model] {name} could not be loaded as TorchScript ({why})"
ERR_OUTPUTS = ("[model] the model gives {got} outputs for one image, but the data has {n} classes "
               "({classes}); the model must give one logit per class, in the order of the sorted classes")
ERR_FORWARD = "[model] the model could not read one {shape} image ({why}); check [images] and [model.options]"

# uploads (the app): never trusted, always limited
ERR_UPLOAD_FORMAT = "'{name}' is not a PNG or JPEG image ({why}). Upload a .png (or .jpg) file."
ERR_UPLOAD_BIG = "'{name}' is {size:.1f} MB; images are limited to {limit:g} MB. Upload a smaller image."
ERR_UPLOAD_PIXELS = ("'{name}' is {w}×{h} pixels; images of up to {limit:,} pixels are read. "
                     "Upload a smaller image.")
ERR_UPLOAD_BLANK = "'{name}' looks blank: there is no stroke to read. Draw or upload a digit."
ERR_IMAGE_SHAPE = ("the image is {actual}, but this workspace's model reads {declared} images; "
                   "resize it first (the app fits uploads to the right size)")
ERR_IMAGE_VALUES = ("the image's values run from {lo:g} to {hi:g}, but this workspace's images are "
                    "in {low:g}..{high:g}; scale it to that range first")

MAX_UPLOAD_PIXELS = 4096 * 4096
UPLOAD_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class ImageSpec:
    """What the model reads: height x width x channels, values in [low, high]."""

    height: int
    width: int
    channels: int
    low: float
    high: float
    background: str = "dark"   # "dark": ink is the high values (sklearn digits); "light": ink is dark

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.height, self.width)

    def describe(self) -> str:
        tone = "grey" if self.channels == 1 else f"{self.channels}-channel"
        return f"{self.height}×{self.width} {tone}"

    def to_json(self) -> dict:
        return {"height": self.height, "width": self.width, "channels": self.channels,
                "range": [self.low, self.high], "background": self.background}


def _shape_text(shape: tuple[int, ...]) -> str:
    c, h, w = shape
    return f"{h}×{w}" + (" grey" if c == 1 else f" with {c} channels")


# ---- reading the images ---------------------------------------------------------------------
def read_images(data_spec: dict[str, Any], base: Path) -> tuple[pd.Index, np.ndarray, np.ndarray, bool]:
    """(ids, labels, pixels N x C x H x W float32, from_png) from a `[data]` table."""
    if "path" in data_spec:
        path = (base / data_spec["path"]).resolve()
        if not path.is_file():
            raise WorkspaceError(ERR_NO_FILE.format(field="path", path=path))
        if path.suffix.lower() != ".npz":
            raise WorkspaceError(ERR_NO_IMAGES)
        ids, labels, pixels = _read_npz(path)
        return ids, labels, pixels, False
    if "index" in data_spec:
        index = (base / data_spec["index"]).resolve()
        if not index.is_file():
            raise WorkspaceError(ERR_NO_FILE.format(field="index", path=index))
        folder = (base / data_spec["folder"]).resolve() if "folder" in data_spec else index.parent
        ids, labels, pixels = _read_png_folder(index, folder)
        return ids, labels, pixels, True
    raise WorkspaceError(ERR_NO_IMAGES)


def _read_npz(path: Path) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:   # arrays only: no pickled objects
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # a damaged file, or one holding pickled objects
        raise WorkspaceError(ERR_NPZ_READ.format(name=path.name, why=str(exc).splitlines()[0][:200])) from None
    for key in ("images", "labels"):
        if key not in arrays:
            raise WorkspaceError(ERR_NPZ_KEY.format(name=path.name, key=key, keys=", ".join(arrays) or "none"))
    images = np.asarray(arrays["images"])
    if images.ndim == 3:
        images = images[:, None]
    elif images.ndim != 4:
        raise WorkspaceError(ERR_NPZ_READ.format(name=path.name, why=f"'images' has {images.ndim} "
                                                 "dimensions; give N x H x W or N x C x H x W"))
    n = len(images)
    labels = np.asarray(arrays["labels"])
    if labels.shape != (n,):
        raise WorkspaceError(ERR_NPZ_LENGTH.format(name=path.name, what="'labels'", got=labels.size, n=n))
    ids = np.asarray(arrays["ids"]) if "ids" in arrays else np.arange(n)
    if ids.shape != (n,):
        raise WorkspaceError(ERR_NPZ_LENGTH.format(name=path.name, what="'ids'", got=ids.size, n=n))
    return pd.Index(ids, name="id"), labels, images.astype(np.float32)


def _read_png_folder(index: Path, folder: Path) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    from talk2model.workspace.data import read_frame

    table = read_frame(index)
    if not {"id", "file", "label"} <= set(table.columns):
        raise WorkspaceError(ERR_INDEX_COLUMNS.format(name=index.name, columns=", ".join(map(str, table.columns))))
    pixels, first = [], None
    for name in table["file"].astype(str):
        path = (folder / name).resolve()
        if not path.is_relative_to(folder):
            raise WorkspaceError(ERR_OUTSIDE.format(name=index.name, file=name, folder=folder))
        if not path.is_file():
            raise WorkspaceError(ERR_PNG_MISSING.format(name=index.name, file=name, folder=folder))
        array = _decode(path)
        if first is None:
            first = (name, array.shape)
        elif array.shape != first[1]:
            raise WorkspaceError(ERR_SIZES_DIFFER.format(first=first[0], a=_shape_text(first[1]),
                                                         other=name, b=_shape_text(array.shape)))
        pixels.append(array)
    return pd.Index(table["id"].to_numpy(), name="id"), table["label"].to_numpy(), np.stack(pixels)


def _decode(path: Path) -> np.ndarray:
    """A PNG as C x H x W uint8 values 0..255 (grey: 1 channel, colour: 3)."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            img.load()
            mode = "L" if img.mode in ("1", "L", "LA", "I", "I;16", "F", "P") and _is_grey(img) else "RGB"
            array = np.asarray(_flatten_alpha(img).convert(mode))
    except WorkspaceError:
        raise
    except Exception as exc:
        raise WorkspaceError(ERR_PNG_READ.format(file=path.name, why=str(exc).splitlines()[0][:200])) from None
    return array[None] if array.ndim == 2 else np.transpose(array, (2, 0, 1))


def _is_grey(img) -> bool:
    if img.mode != "P":
        return True
    palette = img.convert("RGB")
    array = np.asarray(palette)
    return bool((array[..., 0] == array[..., 1]).all() and (array[..., 1] == array[..., 2]).all())


def _flatten_alpha(img):
    """Transparent pixels become white paper (a drawing saved with a transparent background)."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    return img


def image_spec(table: dict[str, Any], pixels: np.ndarray, from_png: bool) -> ImageSpec:
    """The `[images]` table checked against the data; what it leaves out is inferred."""
    _, c, h, w = pixels.shape
    channels_last = pixels.shape[3] in (1, 3, 4) and pixels.shape[1] not in (1, 3, 4)
    if channels_last:  # N x H x W x C
        _, h, w, c = pixels.shape
    declared = {}
    for key, actual in (("height", h), ("width", w), ("channels", c)):
        value = table.get(key, actual)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise WorkspaceError(ERR_DIM.format(key=key, value=value))
        declared[key] = value
    if (declared["channels"], declared["height"], declared["width"]) != (c, h, w):
        raise WorkspaceError(ERR_SHAPE.format(
            declared=_shape_text((declared["channels"], declared["height"], declared["width"])),
            where="the data", actual=_shape_text((c, h, w))))
    rng = table.get("range")
    if rng is None:
        low, high = (0.0, 1.0) if from_png else (float(pixels.min()), float(pixels.max()))
        if high <= low:
            high = low + 1.0
    else:
        if (not isinstance(rng, list) or len(rng) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in rng)
                or not rng[0] < rng[1]):
            raise WorkspaceError(ERR_RANGE.format(value=rng))
        low, high = float(rng[0]), float(rng[1])
    background = table.get("background", "dark")
    if background not in ("dark", "light"):
        raise WorkspaceError(ERR_BACKGROUND.format(value=background))
    return ImageSpec(height=h, width=w, channels=c, low=low, high=high, background=background)


def to_model_range(pixels: np.ndarray, spec: ImageSpec, from_png: bool) -> np.ndarray:
    """N x C x H x W float32 in the spec's range (PNG 0..255 mapped linearly onto it)."""
    if pixels.shape[1] not in (1, 3, 4) and pixels.shape[3] in (1, 3, 4):
        pixels = np.transpose(pixels, (0, 3, 1, 2))
    pixels = pixels.astype(np.float32)
    if from_png:
        pixels = spec.low + pixels / 255.0 * (spec.high - spec.low)
    return np.ascontiguousarray(pixels, dtype=np.float32)


# ---- the model ------------------------------------------------------------------------------
def natural_classes(labels: np.ndarray) -> list[Any]:
    """Class values in output order: numbers by value, anything else as text."""
    from talk2model.workspace.schema import plain_value

    values = [plain_value(v) for v in pd.unique(pd.Series(labels).dropna())]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sorted(values)
    return sorted(values, key=str)


@dataclass(eq=False)
class ImageModel:
    """A PyTorch image classifier with the scikit-learn classifier interface: `predict`,
    `predict_proba` (softmax of the logits), `classes_`; `logits` for the explainers."""

    module: Any
    classes: list[Any]
    fingerprint: str
    architecture: str                      # a registered name, or "torchscript"
    task: str = "classification"
    feature_names: list[str] = field(default_factory=list)
    batch: int = 512

    @property
    def estimator(self):
        return self.module

    @property
    def kind(self) -> str:
        return "TorchScript CNN" if self.architecture == "torchscript" else f"CNN ({self.architecture})"

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.classes)

    @property
    def has_proba(self) -> bool:
        return True

    @property
    def scriptable_hooks(self) -> bool:
        """Whether layer hooks work (DeepLIFT, Deep SHAP and Grad-CAM need them; TorchScript has none)."""
        return self.architecture != "torchscript"

    @property
    def gradcam_layer(self):
        name = getattr(self.module, "gradcam_layer", None)
        return getattr(self.module, name) if name else None

    def logits(self, X: np.ndarray) -> np.ndarray:
        import torch

        from talk2model import deadline

        X = np.asarray(X, dtype=np.float32)
        out = []
        with torch.no_grad():
            for start in range(0, len(X), self.batch):
                deadline.check()
                out.append(self.module(torch.from_numpy(X[start:start + self.batch])).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)), dtype=np.float32)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = self.logits(X).astype(np.float64)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.logits(X).argmax(axis=1)]


def load_image_model(model_spec: dict[str, Any], base: Path, spec: ImageSpec, classes: list[Any]) -> ImageModel:
    """The workspace's model: a state dict + a registered architecture, or TorchScript."""
    import torch

    from talk2model.workspace.architectures import ARCHITECTURES, build

    if "path" not in model_spec:
        raise WorkspaceError("[model] path is missing; point it at a .pt state dict (with architecture = ...) "
                             "or a TorchScript .ts file")
    path = (base / model_spec["path"]).resolve()
    if not path.is_file():
        raise WorkspaceError(f"[model] path: no file at {path}; train the demo models with `make models` or fix the path")
    suffix = path.suffix.lower()
    fingerprint = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    torchscript = suffix in (".ts", ".torchscript") or model_spec.get("format") == "torchscript"
    if torchscript:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")   # torch.jit is deprecated in favour of torch.export
                module = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:
            raise WorkspaceError(ERR_TORCHSCRIPT.format(name=path.name, why=str(exc).splitlines()[0][:200])) from None
        arch = "torchscript"
    elif suffix in (".pt", ".pth"):
        if "architecture" not in model_spec:
            raise WorkspaceError(ERR_ARCH_MISSING.format(names=", ".join(ARCHITECTURES)))
        options = model_spec.get("options", {})
        if not isinstance(options, dict):
            raise WorkspaceError("[model.options] must be a table of the architecture's keyword arguments")
        module = build(str(model_spec["architecture"]), options)
        state = load_state_dict(path)
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            why = " ".join(str(exc).split())[:300]
            raise WorkspaceError(ERR_STATE_MISMATCH.format(name=path.name, arch=model_spec["architecture"],
                                                           why=why)) from None
        arch = str(model_spec["architecture"])
    else:
        raise WorkspaceError(ERR_IMAGE_MODEL_FORMAT.format(suffix=suffix))
    module.eval()
    model = ImageModel(module=module, classes=list(classes), fingerprint=fingerprint, architecture=arch)
    check_outputs(model, spec)
    return model


def load_state_dict(path: Path) -> dict:
    """A state dict from `path`, tensors only (`weights_only=True`: no code is unpickled)."""
    import torch

    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a pickled module, a damaged file
        first = str(exc).strip().splitlines()
        why = next((line.strip() for line in first if "Unsupported global" in line), first[0] if first else "")
        raise WorkspaceError(ERR_NOT_STATE_DICT.format(name=path.name, why=why[:200])) from None
    if isinstance(blob, dict) and isinstance(blob.get("state_dict"), dict):
        blob = blob["state_dict"]
    if not isinstance(blob, dict) or not blob or not all(isinstance(v, torch.Tensor) for v in blob.values()):
        raise WorkspaceError(ERR_NOT_STATE_DICT.format(name=path.name, why="it does not map names to tensors"))
    return blob


def check_outputs(model: ImageModel, spec: ImageSpec) -> None:
    """The model reads one image of the workspace's shape and gives one logit per class."""
    try:
        out = model.logits(np.full((1, *spec.shape), spec.low, dtype=np.float32))
    except Exception as exc:  # a shape the architecture does not take
        raise WorkspaceError(ERR_FORWARD.format(shape=_shape_text(spec.shape),
                                                why=" ".join(str(exc).split())[:200])) from None
    if out.ndim != 2 or out.shape[1] != len(model.classes):
        got = out.shape[1] if out.ndim == 2 else "x".join(map(str, out.shape))
        raise WorkspaceError(ERR_OUTPUTS.format(got=got, n=len(model.classes),
                                                classes=", ".join(map(str, model.classes))))


# ---- the workspace --------------------------------------------------------------------------
def load_image_workspace(spec: dict[str, Any], path: Path):
    """An ImageWorkspace from a parsed workspace TOML file (`kind = "image"`)."""
    from talk2model.workspace import ImageWorkspace
    from talk2model.workspace.schema import build_schema

    base = path.parent
    for section in ("data", "model"):
        if section not in spec:
            raise WorkspaceError(f"workspace file {path.name}: the [{section}] table is missing")
    name = spec.get("name", path.stem)
    ids, labels, pixels, from_png = read_images(spec["data"], base)
    if not ids.is_unique:
        raise WorkspaceError(ERR_IDS.format(id=ids[ids.duplicated()][0]))
    ispec = image_spec(spec.get("images", {}), pixels, from_png)
    pixels = to_model_range(pixels, ispec, from_png)
    schema_table = dict(spec.get("schema", {}))
    target = schema_table.setdefault("target", "label")
    schema_table.setdefault("entity", "image")
    schema_table["task"] = "classification"
    data = pd.DataFrame({target: labels}, index=ids)
    data.index.name = "id"
    schema = build_schema(name, schema_table, data)
    classes = natural_classes(labels)
    model = load_image_model(spec["model"], base, ispec, classes)
    train_ids = None
    if "train_ids" in spec["model"]:
        ids_path = (base / spec["model"]["train_ids"]).resolve()
        if not ids_path.is_file():
            raise WorkspaceError(f"[model] train_ids: no file at {ids_path}")
        train_ids = frozenset(json.loads(ids_path.read_text()))
    from talk2model.workspace.checkpoints import training_spec

    return ImageWorkspace(name=name, schema=schema, data=data, model=model, train_ids=train_ids,
                          source=str(path), images=pixels, image_spec=ispec,
                          training=training_spec(spec.get("training"), base))


def check_image(pixels: Any, spec: ImageSpec) -> np.ndarray:
    """One image given by a caller (C x H x W, or H x W for grey) in the workspace's shape and
    range, as float32; WorkspaceError naming what is wrong otherwise."""
    array = np.asarray(pixels, dtype=np.float32)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape != spec.shape:
        actual = _shape_text(array.shape) if array.ndim == 3 else "x".join(map(str, array.shape))
        raise WorkspaceError(ERR_IMAGE_SHAPE.format(actual=actual, declared=_shape_text(spec.shape)))
    if not np.isfinite(array).all():
        raise WorkspaceError(ERR_IMAGE_VALUES.format(lo=float(np.nanmin(array)), hi=float(np.nanmax(array)),
                                                     low=spec.low, high=spec.high))
    lo, hi = float(array.min()), float(array.max())
    slack = 1e-6 * (spec.high - spec.low)
    if lo < spec.low - slack or hi > spec.high + slack:
        raise WorkspaceError(ERR_IMAGE_VALUES.format(lo=lo, hi=hi, low=spec.low, high=spec.high))
    return array


def image_from_upload(path: str | Path, spec: ImageSpec, *, max_bytes: int, name: str | None = None) -> np.ndarray:
    """An uploaded PNG/JPEG fitted to the workspace: C x H x W float32 in its range.

    Uploads are never trusted: the size in bytes and in pixels is checked before decoding, the
    file must really be a PNG or JPEG, transparency becomes white paper, and for workspaces of
    light ink on a dark background (sklearn's digits) dark-on-light drawings are inverted and the
    stroke is cropped, centred on a square it fills and scaled to the model's size, as the training
    images were (sklearn's digits span the full height)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    name = name or path.name
    size = path.stat().st_size
    if size > max_bytes:
        raise WorkspaceError(ERR_UPLOAD_BIG.format(name=name, size=size / 2**20, limit=max_bytes / 2**20))
    try:
        with Image.open(path) as img:
            if img.format not in ("PNG", "JPEG"):
                raise WorkspaceError(ERR_UPLOAD_FORMAT.format(name=name, why=f"it is {img.format or 'unknown'}"))
            w, h = img.size
            if w * h > MAX_UPLOAD_PIXELS:
                raise WorkspaceError(ERR_UPLOAD_PIXELS.format(name=name, w=w, h=h, limit=MAX_UPLOAD_PIXELS))
            img.load()
            img = _flatten_alpha(img).convert("L" if spec.channels == 1 else "RGB")
    except WorkspaceError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise WorkspaceError(ERR_UPLOAD_FORMAT.format(name=name, why=str(exc).splitlines()[0][:120])) from None
    array = np.asarray(img, dtype=np.float32) / 255.0
    if array.ndim == 2:
        array = array[..., None]
    if spec.background == "dark":
        return _fit_stroke(array, spec, name)
    resized = _resize(array, spec.width, spec.height)
    return (spec.low + resized * (spec.high - spec.low)).transpose(2, 0, 1).astype(np.float32)


def _fit_stroke(array: np.ndarray, spec: ImageSpec, name: str) -> np.ndarray:
    grey = array.mean(axis=2)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if border.mean() > 0.5:   # dark ink on light paper: turn it into light ink on a dark ground
        array, grey = 1.0 - array, 1.0 - grey
    ink = grey > max(0.2, 0.35 * float(grey.max()))
    if not ink.any() or float(grey.max()) < 0.1:
        raise WorkspaceError(ERR_UPLOAD_BLANK.format(name=name))
    rows, cols = np.where(ink)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    side = max(bottom - top, right - left)   # sklearn's digits fill the height, centred across
    square = np.zeros((side, side, array.shape[2]), dtype=np.float32)
    oy, ox = (side - (bottom - top)) // 2, (side - (right - left)) // 2
    square[oy:oy + bottom - top, ox:ox + right - left] = array[top:bottom, left:right]
    resized = _resize(square, spec.width, spec.height)
    peak = float(resized.max())
    if peak > 0:
        resized = resized / peak   # strokes as bold as the training images'
    return (spec.low + np.clip(resized, 0, 1) * (spec.high - spec.low)).transpose(2, 0, 1).astype(np.float32)


def _resize(array: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image

    channels = [np.asarray(Image.fromarray(array[..., k].astype(np.float32), mode="F")
                           .resize((width, height), Image.Resampling.BOX), dtype=np.float32)
                for k in range(array.shape[2])]
    return np.stack(channels, axis=2)


def appended(workspace, pixels: np.ndarray, *, name: str = "your image"):
    """A copy of `workspace` with one more image (true label unknown), and its id."""
    from talk2model.workspace import ImageWorkspace

    pixels = check_image(pixels, workspace.image_spec)
    index = workspace.data.index
    numeric = pd.api.types.is_integer_dtype(index)
    new_id = int(index.max()) + 1 if numeric and len(index) else f"upload-{len(index) + 1}"
    target = workspace.schema.target
    labels = workspace.data[target]
    if pd.api.types.is_integer_dtype(labels):
        labels = labels.astype("Int64")
    column = pd.concat([labels, pd.Series([pd.NA], index=[new_id], dtype=labels.dtype)])
    data = pd.DataFrame({target: column})
    data.index.name = "id"
    images = np.concatenate([workspace.images, pixels[None]])
    ws = ImageWorkspace(name=workspace.name, schema=workspace.schema, data=data, model=workspace.model,
                        train_ids=workspace.train_ids, source=workspace.source, images=images,
                        training=workspace.training,
                        image_spec=workspace.image_spec,
                        uploads={**workspace.uploads, new_id: name})
    return ws, new_id


__all__ = ["ImageModel", "ImageSpec", "appended", "check_image", "image_from_upload",
           "load_image_workspace"]
