"""The vetted algorithm models: model sources read from a directory, never imported.

A vetted model is a reviewed, known-good model shipped with the platform (``algorithms/`` at
the top of the repository). It runs in the same sandbox as user code: vetted means reviewed,
not trusted. The layering (``api -> sandbox <- algorithms``) forbids importing ``algorithms``
here, so :class:`VettedModels` reads each ``<name>.py`` of a directory as text, inspects it
(:func:`~sandbox.runtime.model_info.inspect_model`) and compiles it under the runtime's restricted
compiler (:func:`~sandbox.runtime.compiler.compile_model`). Any model that fails makes the
whole set fail to load, at start-up, loudly.

(Not to be confused with :mod:`sandbox.catalog`, the catalog of datasets.)
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.runtime.compiler import VETTED_MODULES, compile_model
from sandbox.runtime.model_info import ModelInfo, inspect_model
from sandbox.runtime.param_schema import parameters_schema
from sandbox.runtime.param_spec import ModelSpecError

__all__ = [
    "MODEL_NAME",
    "UnknownModel",
    "VettedModel",
    "VettedModelError",
    "VettedModels",
    "default_algorithms_dir",
]

MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}\Z")
"""The name of a vetted model: its file's stem."""

_IGNORED = frozenset({"__init__.py"})


class UnknownModel(KeyError):
    """No vetted model has the name a job asked for."""

    def __init__(self, name: object) -> None:
        if isinstance(name, str) and MODEL_NAME.match(name):
            self.message = f"no vetted model named {name!r}"
        else:  # never echo an arbitrary string back
            self.message = "no vetted model has that name (names are like 'mean_by_group')"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class VettedModelError(RuntimeError):
    """A vetted model cannot be loaded: the platform must not start with it."""


@dataclass(frozen=True)
class VettedModel:
    """One vetted model, read and checked.

    Attributes:
        name: The model's name (its file's stem).
        source: Its source, exactly as it runs in the sandbox.
        info: Its description and parameter schema.
        sha256: The hex SHA-256 of the source's UTF-8 bytes (recorded with each job).
        imports: The modules it imports (each a vetted wrapper of the compiler); a job running
            it passes them as its import allow-list. Empty for every shipped model.
    """

    name: str
    source: str
    info: ModelInfo
    sha256: str
    imports: frozenset[str] = frozenset()

    @property
    def parameters_schema(self) -> dict[str, Any]:
        """Its parameters as a standard JSON Schema (draft 2020-12), for forms and clients."""
        return parameters_schema(self.info.params, title=self.name, description=self.info.summary)


def default_algorithms_dir() -> Path:
    """The repository's ``algorithms/`` directory (the models shipped with the platform)."""
    return Path(__file__).resolve().parents[2] / "algorithms"


def _imports_of(source: str) -> frozenset[str]:
    """Modules a (syntactically valid) source imports, by their full names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return frozenset(found)


def load_model(name: str, source: str) -> VettedModel:
    """Check one vetted model's source.

    Args:
        name: The model's name.
        source: Its source.

    Returns:
        The :class:`VettedModel`.

    Raises:
        VettedModelError: If the source breaks the contract, its schema is invalid, it imports a
            module the runtime has no vetted wrapper for, or it does not compile under the
            restricted compiler.
    """
    try:
        info = inspect_model(source)
    except ModelSpecError as exc:
        raise VettedModelError(f"vetted model {name!r}: {exc}") from None
    imports = _imports_of(source)
    unknown = sorted(m for m in imports if m not in VETTED_MODULES)
    if unknown:
        raise VettedModelError(f"vetted model {name!r} imports {', '.join(unknown)}")
    compiled = compile_model(source, imports, filename=f"<vetted model {name}>")
    if not compiled.ok:
        problems = "; ".join(compiled.errors)
        raise VettedModelError(f"vetted model {name!r} does not compile: {problems}")
    if info.warnings:
        raise VettedModelError(f"vetted model {name!r}: {'; '.join(info.warnings)}")
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return VettedModel(name=name, source=source, info=info, sha256=digest, imports=imports)


class VettedModels:
    """The vetted models of one directory, loaded and checked once, at construction.

    Every ``<name>.py`` file whose stem matches :data:`MODEL_NAME` is a model; ``__init__.py``,
    other files (``README.md``) and directories are ignored. A ``.py`` file with any other
    name, a file that is not UTF-8, or a model that fails its checks raises
    :class:`VettedModelError`: a broken vetted model stops the platform from starting rather than
    failing the jobs that name it.
    """

    def __init__(self, directory: Path | str | None = None) -> None:
        """Load every model of ``directory`` (``None`` or ``""``: :func:`default_algorithms_dir`).

        Raises:
            VettedModelError: If the directory is missing or any model cannot be loaded.
        """
        self.directory = Path(directory) if directory else default_algorithms_dir()
        if not self.directory.is_dir():
            raise VettedModelError(
                f"the algorithms directory {str(self.directory)!r} does not exist"
            )
        models: dict[str, VettedModel] = {}
        for path in sorted(self.directory.iterdir()):
            if path.suffix != ".py" or path.name in _IGNORED or not path.is_file():
                continue
            if not MODEL_NAME.match(path.stem):
                raise VettedModelError(
                    f"{path.name!r} is not a valid model file name "
                    "(lower-case letters, digits and _, starting with a letter)"
                )
            try:
                source = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise VettedModelError(
                    f"vetted model {path.stem!r} cannot be read: {exc}"
                ) from None
            models[path.stem] = load_model(path.stem, source)
        self._models = models

    def names(self) -> list[str]:
        """The names of the vetted models, sorted."""
        return sorted(self._models)

    def get(self, name: str) -> VettedModel:
        """The vetted model called ``name``.

        Raises:
            UnknownModel: If there is none.
        """
        model = self._models.get(name) if isinstance(name, str) else None
        if model is None:
            raise UnknownModel(name)
        return model

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._models

    def __iter__(self) -> Iterator[VettedModel]:
        return iter(self._models[name] for name in self.names())

    def __len__(self) -> int:
        return len(self._models)
