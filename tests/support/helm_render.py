"""Render a Helm chart without the ``helm`` binary, for the deployment tests.

No ``helm`` is installable on this machine (Debian has none; its Go is too old to build Helm
from source; no trustworthy PyPI or npm package ships the binary), so this module renders
the chart the way ``helm template`` would, for exactly the subset of Go's ``text/template``
and of Helm's functions that ``infra/helm/sandbox`` uses, and refuses anything else loudly
(an unknown function or action is an error, never silently empty output):

- actions: ``{{ pipeline }}``, ``{{- ... -}}`` whitespace trimming, ``{{/* comments */}}``,
  ``if`` / ``else if`` / ``else``, ``range`` (over lists and maps, sorted keys, with
  ``$k, $v :=`` or ``$v :=``), ``with``, ``define``, variables (``$x := ...``);
- operands: ``.`` and field chains (``.Values.a.b``, ``$``, ``$.Values``, ``$x.key``), string,
  number and boolean literals, parenthesised pipelines;
- functions: ``include``, ``toYaml``, ``nindent``, ``indent``, ``quote``, ``default``,
  ``required``, ``fail``, ``printf`` (``%s %d %v %q``), ``eq``, ``ne``, ``not``, ``and``, ``or``,
  ``hasSuffix``.

The merged values are checked against the chart's ``values.schema.json`` first, as Helm
checks them. Missing map keys render as nothing (Helm turns ``<no value>`` into an empty
string); a field looked up on nothing is an error, as Go's "nil pointer evaluating" is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import yaml


class HelmRenderError(Exception):
    """The chart uses something outside the subset, or a template failed (``fail``,
    ``required``, a nil lookup)."""


# --- parsing --------------------------------------------------------------------------------

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<raw>`[^`]*`)
      | (?P<punct>:=|[()|,=])
      | (?P<word>[^\s()|,=\"`]+)
    )""",
    re.VERBOSE,
)


@dataclass
class _Text:
    text: str


@dataclass
class _Action:
    declare: list[str]
    pipeline: list[list[Any]]


@dataclass
class _If:
    branches: list[tuple[list[list[Any]], list[Any]]]
    otherwise: list[Any]


@dataclass
class _Range:
    declare: list[str]
    pipeline: list[list[Any]]
    body: list[Any]
    otherwise: list[Any]


@dataclass
class _With:
    pipeline: list[list[Any]]
    body: list[Any]
    otherwise: list[Any]


@dataclass
class _Ref:
    """A field chain: ``root`` is ``.``, ``$`` or ``$name``; ``path`` the keys after it."""

    root: str
    path: tuple[str, ...]


@dataclass
class _Name:
    """A function name."""

    name: str


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    while position < len(source):
        if not source[position:].strip():
            break
        match = _TOKEN.match(source, position)
        if match is None:
            raise HelmRenderError(f"cannot read {source[position:]!r}")
        kind = match.lastgroup
        assert kind is not None
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def _operand(kind: str, text: str) -> Any:
    if kind == "string":
        return str(json.loads(text))
    if kind == "raw":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if text == "nil":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*", text):
        return float(text)
    if text == ".":
        return _Ref(".", ())
    if text.startswith("."):
        return _Ref(".", tuple(text[1:].split(".")))
    if text.startswith("$"):
        head, _, rest = text.partition(".")
        return _Ref(head, tuple(rest.split(".")) if rest else ())
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        return _Name(text)
    raise HelmRenderError(f"unsupported operand {text!r}")


def _parse_pipeline(tokens: list[tuple[str, str]]) -> list[list[Any]]:
    """Commands separated by ``|``; each command a list of operands (nested pipelines for
    parentheses)."""
    commands: list[list[Any]] = [[]]
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        if kind == "punct" and text == "|":
            commands.append([])
        elif kind == "punct" and text == "(":
            depth, start = 1, index + 1
            while depth:
                index += 1
                if index >= len(tokens):
                    raise HelmRenderError("unclosed parenthesis")
                if tokens[index] == ("punct", "("):
                    depth += 1
                elif tokens[index] == ("punct", ")"):
                    depth -= 1
            commands[-1].append(_parse_pipeline(tokens[start:index]))
        elif kind == "punct":
            raise HelmRenderError(f"unexpected {text!r}")
        else:
            commands[-1].append(_operand(kind, text))
        index += 1
    if any(not command for command in commands):
        raise HelmRenderError("empty command in a pipeline")
    return commands


def _declaration(source: str) -> tuple[list[str], list[list[Any]]]:
    tokens = _tokens(source)
    for index, (kind, text) in enumerate(tokens):
        if kind == "punct" and text in (":=", "="):
            names = [t for k, t in tokens[:index] if k == "word"]
            if not names or any(not name.startswith("$") for name in names):
                raise HelmRenderError(f"bad declaration {source!r}")
            return names, _parse_pipeline(tokens[index + 1 :])
    return [], _parse_pipeline(tokens)


def _lex(source: str) -> Iterator[tuple[str, str]]:
    """``("text", ...)`` and ``("action", ...)`` pieces, with the trim markers applied."""
    pieces: list[tuple[str, str]] = []
    position = 0
    trim_next = False
    for match in _ACTION.finditer(source):
        text = source[position : match.start()]
        if trim_next:
            text = text.lstrip()
        if match.group(1):
            text = text.rstrip()
        pieces.append(("text", text))
        pieces.append(("action", match.group(2).strip()))
        trim_next = bool(match.group(3))
        position = match.end()
    tail = source[position:]
    pieces.append(("text", tail.lstrip() if trim_next else tail))
    yield from ((kind, text) for kind, text in pieces if kind == "action" or text)


@dataclass
class _Parsed:
    body: list[Any]
    defines: dict[str, list[Any]] = field(default_factory=dict)


def _parse(source: str, name: str) -> _Parsed:
    parsed = _Parsed([])
    # Each open block: [kind, node, the list being filled]
    stack: list[tuple[str, Any, list[Any]]] = [("root", None, parsed.body)]
    for kind, text in _lex(source):
        target = stack[-1][2]
        if kind == "text":
            target.append(_Text(text))
            continue
        if text.startswith("/*"):
            if not text.endswith("*/"):
                raise HelmRenderError(f"{name}: unclosed comment")
            continue
        keyword, _, rest = text.partition(" ")
        rest = rest.strip()
        if keyword == "if":
            node = _If([(_parse_pipeline(_tokens(rest)), [])], [])
            target.append(node)
            stack.append(("if", node, node.branches[0][1]))
        elif keyword == "range":
            names, pipeline = _declaration(rest)
            range_node = _Range(names, pipeline, [], [])
            target.append(range_node)
            stack.append(("range", range_node, range_node.body))
        elif keyword == "with":
            with_node = _With(_parse_pipeline(_tokens(rest)), [], [])
            target.append(with_node)
            stack.append(("with", with_node, with_node.body))
        elif keyword == "define":
            define_name = _operand(*_tokens(rest)[0])
            if not isinstance(define_name, str):
                raise HelmRenderError(f"{name}: define needs a quoted name")
            parsed.defines[define_name] = []
            stack.append(("define", define_name, parsed.defines[define_name]))
        elif keyword == "else":
            block, node, _ = stack[-1]
            if rest.startswith("if ") and block == "if":
                node.branches.append((_parse_pipeline(_tokens(rest[3:])), []))
                stack[-1] = (block, node, node.branches[-1][1])
            elif not rest and block in ("if", "range", "with"):
                stack[-1] = (block, node, node.otherwise)
            else:
                raise HelmRenderError(f"{name}: unsupported {text!r}")
        elif keyword == "end":
            if len(stack) == 1:
                raise HelmRenderError(f"{name}: {{{{ end }}}} without a block")
            stack.pop()
        elif keyword in ("template", "block", "break", "continue", "tpl"):
            raise HelmRenderError(f"{name}: {keyword!r} is outside the supported subset")
        else:
            names, pipeline = _declaration(text)
            target.append(_Action(names, pipeline))
    if len(stack) != 1:
        raise HelmRenderError(f"{name}: {stack[-1][0]} without {{{{ end }}}}")
    return parsed


# --- evaluation -----------------------------------------------------------------------------


def _truthy(value: Any) -> bool:
    return value is not None and value is not False and value != 0 and value not in ("", [], {})


def _go_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | str):
        return str(value)
    raise HelmRenderError(f"cannot print a {type(value).__name__} (use toYaml)")


def _to_yaml(value: Any) -> str:
    text: str = yaml.safe_dump(value, default_flow_style=False, sort_keys=True, allow_unicode=True)
    return text.removesuffix("\n...\n").rstrip("\n")


def _indent(width: int, text: str) -> str:
    pad = " " * width
    return pad + text.replace("\n", "\n" + pad)


def _printf(template: str, *args: Any) -> str:
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        verb = match.group(1)
        if verb == "%":
            return "%"
        value = next(values)
        if verb == "q":
            return json.dumps(_go_string(value), ensure_ascii=False)
        if verb == "d" and not isinstance(value, int):
            raise HelmRenderError(f"printf %d of {value!r}")
        return _go_string(value)

    return re.sub(r"%([sdvq%])", one, template)


def _required(message: str, value: Any) -> Any:
    if value is None or value == "":
        raise HelmRenderError(message)
    return value


def _fail(message: str) -> Any:
    raise HelmRenderError(message)


def _and(*args: Any) -> Any:
    for arg in args:
        if not _truthy(arg):
            return arg
    return args[-1]


def _or(*args: Any) -> Any:
    for arg in args:
        if _truthy(arg):
            return arg
    return args[-1]


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "toYaml": _to_yaml,
    "nindent": lambda width, text: "\n" + _indent(width, text),
    "indent": _indent,
    "quote": lambda *args: " ".join(
        json.dumps(_go_string(a), ensure_ascii=False) for a in args if a is not None
    ),
    "default": lambda fallback, value=None: value if _truthy(value) else fallback,
    "required": _required,
    "fail": _fail,
    "printf": _printf,
    "eq": lambda first, *others: any(first == other for other in others),
    "ne": lambda first, second: first != second,
    "hasSuffix": lambda suffix, text: str(text).endswith(suffix),
    "not": lambda value: not _truthy(value),
    "and": _and,
    "or": _or,
}


class _Renderer:
    def __init__(self, defines: Mapping[str, list[Any]]) -> None:
        self.defines = defines

    def render(self, body: list[Any], dot: Any, root: Any, scope: dict[str, Any]) -> str:
        out: list[str] = []
        for node in body:
            out.append(self._node(node, dot, root, scope))
        return "".join(out)

    def _node(self, node: Any, dot: Any, root: Any, scope: dict[str, Any]) -> str:
        if isinstance(node, _Text):
            return node.text
        if isinstance(node, _Action):
            value = self._pipeline(node.pipeline, dot, root, scope)
            if node.declare:
                scope[node.declare[0]] = value
                return ""
            return _go_string(value)
        if isinstance(node, _If):
            for pipeline, branch in node.branches:
                if _truthy(self._pipeline(pipeline, dot, root, scope)):
                    return self.render(branch, dot, root, dict(scope))
            return self.render(node.otherwise, dot, root, dict(scope))
        if isinstance(node, _With):
            value = self._pipeline(node.pipeline, dot, root, scope)
            if _truthy(value):
                return self.render(node.body, value, root, dict(scope))
            return self.render(node.otherwise, dot, root, dict(scope))
        if isinstance(node, _Range):
            return self._range(node, dot, root, scope)
        raise HelmRenderError(f"unknown node {node!r}")

    def _range(self, node: _Range, dot: Any, root: Any, scope: dict[str, Any]) -> str:
        collection = self._pipeline(node.pipeline, dot, root, scope)
        if collection is None:
            items: list[tuple[Any, Any]] = []
        elif isinstance(collection, Mapping):
            items = [(key, collection[key]) for key in sorted(collection)]
        elif isinstance(collection, list):
            items = list(enumerate(collection))
        else:
            raise HelmRenderError(f"range over a {type(collection).__name__}")
        if not items:
            return self.render(node.otherwise, dot, root, dict(scope))
        out = []
        for key, value in items:
            inner = dict(scope)
            if len(node.declare) == 1:
                inner[node.declare[0]] = value
            elif len(node.declare) == 2:
                inner[node.declare[0]], inner[node.declare[1]] = key, value
            out.append(self.render(node.body, value, root, inner))
        return "".join(out)

    def _pipeline(
        self, pipeline: list[list[Any]], dot: Any, root: Any, scope: dict[str, Any]
    ) -> Any:
        value: Any = None
        for index, command in enumerate(pipeline):
            piped = [value] if index else []
            value = self._command(command, piped, dot, root, scope)
        return value

    def _command(
        self, command: list[Any], piped: list[Any], dot: Any, root: Any, scope: dict[str, Any]
    ) -> Any:
        head, *rest = command
        if isinstance(head, _Name):
            args = [self._value(arg, dot, root, scope) for arg in rest] + piped
            return self._call(head.name, args, root)
        if rest or piped:
            raise HelmRenderError(f"{head!r} is not a function")
        return self._value(head, dot, root, scope)

    def _value(self, operand: Any, dot: Any, root: Any, scope: dict[str, Any]) -> Any:
        if isinstance(operand, list):
            return self._pipeline(operand, dot, root, scope)
        if isinstance(operand, _Name):
            return self._call(operand.name, [], root)
        if isinstance(operand, _Ref):
            if operand.root == ".":
                value = dot
            elif operand.root == "$":
                value = root
            elif operand.root in scope:
                value = scope[operand.root]
            else:
                raise HelmRenderError(f"undefined variable {operand.root}")
            for key in operand.path:
                if not isinstance(value, Mapping):
                    raise HelmRenderError(f"nil pointer evaluating {key} of {operand!r}")
                value = value.get(key)
            return value
        return operand

    def _call(self, name: str, args: list[Any], root: Any) -> Any:
        if name == "include":
            template, data = args
            if template not in self.defines:
                raise HelmRenderError(f"no template {template!r}")
            return self.render(self.defines[template], data, data, {})
        function = _FUNCTIONS.get(name)
        if function is None:
            raise HelmRenderError(f"function {name!r} is outside the supported subset")
        return function(*args)


# --- charts ---------------------------------------------------------------------------------


def merge_values(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` deep-merged onto ``base`` as Helm merges ``--values`` files: maps merge
    key by key, anything else replaces, ``None`` deletes the key."""
    merged = dict(base)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    return merged


NOTES = "NOTES.txt"
"""The template Helm prints after an install: rendered, but not a manifest."""


def render_chart(
    chart_dir: Path,
    overrides: Mapping[str, Any] | None = None,
    release: str = "sandbox",
    namespace: str = "default",
) -> dict[str, str]:
    """Each manifest template of ``chart_dir`` rendered (``templates/<name>`` -> text), as
    ``helm template <release> <chart_dir> --values <overrides>`` would (``NOTES.txt``
    included, as ``--notes`` adds it); partials (``_*``) only provide definitions.
    """
    chart = yaml.safe_load((chart_dir / "Chart.yaml").read_text(encoding="utf-8"))
    values = yaml.safe_load((chart_dir / "values.yaml").read_text(encoding="utf-8")) or {}
    merged = merge_values(values, overrides or {})
    schema_path = chart_dir / "values.schema.json"
    if schema_path.exists():  # as Helm checks the merged values before rendering
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        errors = sorted(
            jsonschema.Draft7Validator(schema).iter_errors(merged), key=lambda e: e.json_path
        )
        if errors:
            raise HelmRenderError(
                "values don't meet the schema: "
                + "; ".join(f"{e.json_path}: {e.message}" for e in errors)
            )
    root = {
        "Values": merged,
        "Release": {
            "Name": release,
            "Namespace": namespace,
            "Service": "Helm",
            "IsInstall": True,
            "IsUpgrade": False,
        },
        "Chart": {
            "Name": chart["name"],
            "Version": chart["version"],
            "AppVersion": chart.get("appVersion", ""),
        },
    }
    sources = sorted((chart_dir / "templates").glob("*"))
    parsed = {
        path.name: _parse(path.read_text(encoding="utf-8"), path.name)
        for path in sources
        if path.suffix in (".yaml", ".yml", ".tpl") or path.name == NOTES
    }
    defines: dict[str, list[Any]] = {}
    for tree in parsed.values():
        defines.update(tree.defines)
    renderer = _Renderer(defines)
    return {
        f"templates/{name}": renderer.render(tree.body, root, root, {})
        for name, tree in parsed.items()
        if not name.startswith("_")
    }


def manifests(rendered: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every non-empty YAML document of the rendered templates, parsed."""
    documents = []
    for name, text in rendered.items():
        if name.endswith(NOTES):
            continue
        for document in yaml.safe_load_all(text):
            if document is not None:
                documents.append(document)
    return documents
