"""Where the served token classifier lives: the shipped one, or a retrained one promoted beside the data.

`gongkai train labelled` never writes into the source tree (or an installed package). A model it
promotes goes to a versioned folder `$GONGKAI_DATA_DIR/models/<version>/` (default data dir: the
platformdirs user data dir, as for the service), and `$GONGKAI_DATA_DIR/models/CURRENT` names the
version served. Every extraction asks `current_weights_dir()`, so the next extraction — CLI or
service job (each job runs in a fresh child process) — uses the promoted model without a restart.
`GONGKAI_MODEL_DIR` pins a folder explicitly; deleting CURRENT goes back to the shipped model.
"""
from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

__all__ = ["default_data_dir", "models_dir", "current_weights_dir", "promote", "SHIPPED_WEIGHTS"]

SHIPPED_WEIGHTS = Path(__file__).parent / "weights"
CURRENT = "CURRENT"


def default_data_dir() -> Path:
    """`$GONGKAI_DATA_DIR`, else the platformdirs user data dir of gongkai (the service's too)."""
    return Path(os.environ.get("GONGKAI_DATA_DIR") or user_data_dir("gongkai"))


def models_dir(data_dir: Path | None = None) -> Path:
    return Path(data_dir or default_data_dir()) / "models"


def current_weights_dir(data_dir: Path | None = None) -> Path:
    """The folder of the model to serve: GONGKAI_MODEL_DIR, else the promoted version, else the shipped one."""
    if os.environ.get("GONGKAI_MODEL_DIR"):
        return Path(os.environ["GONGKAI_MODEL_DIR"])
    pointer = models_dir(data_dir) / CURRENT
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except OSError:
        return SHIPPED_WEIGHTS
    folder = pointer.parent / version
    return folder if version and (folder / "token_classifier.json").is_file() else SHIPPED_WEIGHTS


def promote(weights: Path, version: str, data_dir: Path | None = None) -> Path:
    """Copy an exported model (`weights`) to `models/<version>/` and make it the served one.
    A version is written once: promoting an existing version is an error."""
    import shutil

    if not version or "/" in version or version.startswith("."):
        raise ValueError(f"bad model version {version!r}")
    root = models_dir(data_dir)
    target = root / version
    if target.exists():
        raise FileExistsError(f"model version {version} is already promoted ({target}); choose a new --version")
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(weights, tmp)
    tmp.rename(target)
    pointer = root / f".{CURRENT}.tmp"
    pointer.write_text(version + "\n", encoding="utf-8")
    pointer.replace(root / CURRENT)
    return target
