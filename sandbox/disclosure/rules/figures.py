"""``figure``: a PNG or SVG figure in a result, decoded and checked on the trusted side.

The sandbox encodes a figure as a part (:mod:`sandbox.runtime.result_parts`); everything in
it is hostile here. A figure is never verifiable: its line always fails without blocking,
so it is never released automatically (not even under ``auto_dp``) and a human reviewer
sees it exactly as it will be released. A figure that is not what it claims blocks the
release, its line saying why (never quoting its content):

- **PNG**: the signature, then every chunk's length, type and CRC; ``IHDR`` first and
  ``IEND`` last with nothing after it; at most :data:`MAX_FIGURE_SIDE` pixels a side. The
  pixels are then decoded by Pillow and **re-encoded** by the platform: what is released
  holds ``IHDR``, ``IDAT`` and ``IEND`` only, so no text (``tEXt``, ``zTXt``, ``iTXt``), no
  profile, no private chunk and no bytes after the image can carry data out.
- **SVG**: parsed as XML by expat with no document type subset, no entity and no processing
  instruction; only the SVG elements matplotlib writes (paths, groups, uses, clip paths,
  simple shapes, gradients, style, text); no script, ``foreignObject``, ``image`` or other
  embedding, no event attribute, no reference outside the document (``href`` and
  ``url()`` name ``#ids`` only), no CSS import. What is valid is **sanitised**: re-written
  from the parsed tree without comments and without matplotlib's ``metadata``.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import zlib
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree
from xml.parsers import expat

from PIL import Image

from sandbox.disclosure.model import CheckLine, Rule
from sandbox.runtime.result_parts import (
    FIGURE,
    FIGURE_NAME,
    MAX_FIGURE_BYTES,
    MAX_FIGURE_SIDE,
    MEDIA_TYPES,
    PART,
)

__all__ = ["FigureRefused", "check_figure", "clean_png", "clean_svg"]

RULE = Rule.FIGURE
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
SVG_ELEMENTS = frozenset(
    {"svg", "g", "defs", "path", "use", "clipPath", "rect", "circle", "ellipse", "line"}
    | {"polyline", "polygon", "style", "text", "tspan", "linearGradient", "radialGradient"}
    | {"stop", "pattern", "mask", "symbol"}
)
"""The elements matplotlib's SVG backend writes (``image`` aside: an embedded raster could
carry its own chunks; such a figure is saved as PNG instead)."""
TEXT_ELEMENTS = frozenset({"style", "text", "tspan"})
_LOCAL_URL = re.compile(r"url\(\s*#[A-Za-z0-9_.:-]+\s*\)")
_UNIT = {"": 1.0, "px": 1.0, "pt": 4 / 3, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}


class FigureRefused(ValueError):
    """A figure part is not a figure the platform releases; the message says why."""


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk of a PNG as ``(type, body)``, checked for length, type and CRC."""
    if not data.startswith(PNG_SIGNATURE):
        raise FigureRefused("it does not start with the PNG signature")
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(data):
        if at + 12 > len(data):
            raise FigureRefused("a chunk is cut short")
        (length,) = struct.unpack_from(">I", data, at)
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if length > len(data) or end > len(data) or not kind.isalpha():
            raise FigureRefused("a chunk's length or type is malformed")
        body = data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack_from(">I", data, at + 8 + length)
        if zlib.crc32(kind + body) != crc:
            raise FigureRefused("a chunk's CRC does not match")
        chunks.append((kind, body))
        at = end
        if kind == b"IEND":
            break
    if at != len(data):
        raise FigureRefused("bytes follow the IEND chunk")
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise FigureRefused("it does not begin with IHDR and end with IEND")
    return chunks


def clean_png(data: bytes) -> tuple[bytes, int, int, list[str]]:
    """The PNG re-encoded from its pixels alone, its size, and the chunk types dropped.

    Raises:
        FigureRefused: It is no well-formed PNG, or is too large.
    """
    chunks = _png_chunks(data)
    width, height = struct.unpack(">II", chunks[0][1][:8])
    if not (0 < width <= MAX_FIGURE_SIDE and 0 < height <= MAX_FIGURE_SIDE):
        raise FigureRefused(
            f"it is {width} x {height} pixels: at most {MAX_FIGURE_SIDE} a side are released"
        )
    kept = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS"}
    dropped = sorted({kind.decode("ascii") for kind, _ in chunks if kind not in kept})
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            image.load()
            rgba = image.convert("RGBA")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise FigureRefused(f"its pixels do not decode ({type(exc).__name__})") from None
    fresh = Image.frombytes("RGBA", rgba.size, rgba.tobytes())  # pixels only, no info
    out = io.BytesIO()
    fresh.save(out, format="PNG", optimize=False)
    return out.getvalue(), width, height, dropped


def _safe_xml(text: str) -> None:
    """Parse once with expat, refusing what could reach outside the document or expand."""

    def refuse(what: str) -> Any:
        def handler(*_: Any) -> Any:
            raise FigureRefused(f"its XML holds {what}")

        return handler

    def doctype(_name: str, _sysid: Any, _pubid: Any, has_internal_subset: int) -> None:
        if has_internal_subset:
            raise FigureRefused("its XML holds a document type subset")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = refuse("an entity declaration")
    parser.UnparsedEntityDeclHandler = refuse("an entity declaration")
    parser.ExternalEntityRefHandler = refuse("an external entity")
    parser.ProcessingInstructionHandler = refuse("a processing instruction")
    parser.SkippedEntityHandler = refuse("an entity reference")
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise FigureRefused(f"it is not well-formed XML (line {exc.lineno})") from None


def _local(tag: str) -> tuple[str, str]:
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, local


def _length(value: str | None) -> float:
    found = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(px|pt|in|cm|mm)?\s*", value or "")
    if found is None:
        raise FigureRefused("its width and height are not plain lengths")
    return float(found.group(1)) * _UNIT[found.group(2) or ""]


def _check_element(element: ElementTree.Element) -> None:
    namespace, local = _local(element.tag)
    if namespace != SVG_NS or local not in SVG_ELEMENTS:
        raise FigureRefused(f"it holds a <{local[:40]}> element, which figures may not hold")
    for name, value in element.attrib.items():
        attr_ns, attr = _local(name)
        lowered = value.lower()
        if attr.lower().startswith("on"):
            raise FigureRefused("it holds an event attribute (a script)")
        if attr == "href" and not value.startswith("#"):
            raise FigureRefused("it refers to something outside the figure")
        if attr_ns not in ("", XLINK_NS) or "javascript:" in lowered or "data:" in lowered:
            raise FigureRefused("it holds an attribute figures may not hold")
        if "url(" in lowered and _LOCAL_URL.sub("", value).lower().count("url(") > 0:
            raise FigureRefused("it refers to something outside the figure")
    text = "".join(element.itertext()) if local == "style" else (element.text or "")
    if local == "style" and ("@import" in text.lower() or "url(" in _LOCAL_URL.sub("", text)):
        raise FigureRefused("its style imports or refers to something outside the figure")
    if local not in TEXT_ELEMENTS and text.strip():
        raise FigureRefused("it holds text outside text elements")
    if (element.tail or "").strip() and local not in TEXT_ELEMENTS - {"style"}:
        raise FigureRefused("it holds text outside text elements")


def clean_svg(data: bytes) -> tuple[bytes, int, int]:
    """The SVG re-written from its checked tree (no comments, no metadata), and its canvas.

    Raises:
        FigureRefused: It is no SVG of the kind matplotlib writes (the message says what).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FigureRefused("it is not UTF-8 text") from None
    _safe_xml(text)
    root = ElementTree.fromstring(text)  # noqa: S314 - expat checked it above: no entities
    if root.tag != f"{{{SVG_NS}}}svg":
        raise FigureRefused("its root element is not <svg>")
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == f"{{{SVG_NS}}}metadata":
                parent.remove(child)
    for element in root.iter():
        _check_element(element)
    width, height = _length(root.get("width")), _length(root.get("height"))
    if max(width, height) > MAX_FIGURE_SIDE:
        raise FigureRefused(
            f"its canvas is {width:.0f} x {height:.0f} pixels: at most "
            f"{MAX_FIGURE_SIDE} a side are released"
        )
    ElementTree.register_namespace("", SVG_NS)
    ElementTree.register_namespace("xlink", XLINK_NS)
    cleaned = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return cleaned, round(width), round(height)


def _decoded(part: Mapping[str, Any]) -> tuple[str, str, bytes]:
    """The name, media type and bytes of a figure part, its form checked."""
    if set(part) != {PART, "name", "media_type", "base64"} or part.get(PART) != FIGURE:
        raise FigureRefused("the part is not of the figure form")
    name, media_type, encoded = part["name"], part["media_type"], part["base64"]
    if not isinstance(name, str) or FIGURE_NAME.fullmatch(name) is None:
        raise FigureRefused("its name is not a plain file name (letters, digits, . _ -)")
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if MEDIA_TYPES.get(suffix) != media_type:
        raise FigureRefused("its name and media type do not agree (.png or .svg)")
    if not isinstance(encoded, str) or len(encoded) > (MAX_FIGURE_BYTES + 2) // 3 * 4:
        raise FigureRefused(f"it is larger than {MAX_FIGURE_BYTES} bytes")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise FigureRefused("its bytes are not base64") from None
    if len(data) > MAX_FIGURE_BYTES:
        raise FigureRefused(f"it is larger than {MAX_FIGURE_BYTES} bytes")
    return name, media_type, data


def check_figure(part: Mapping[str, Any], where: str) -> tuple[dict[str, Any] | None, CheckLine]:
    """The figure as it would be released (``None``: refused) and its line."""
    try:
        name, media_type, data = _decoded(part)
        if media_type == "image/png":
            clean, width, height, dropped = clean_png(data)
            done = "re-encoded from its pixels by the platform"
            if dropped:
                done += f" (its {', '.join(dropped)} chunks dropped)"
        else:
            clean, width, height = clean_svg(data)
            done = "re-written by the platform without comments or metadata"
    except FigureRefused as exc:
        return None, CheckLine(RULE, where, None, False, True, f"figure refused: {exc}")
    released = {**part, "base64": base64.b64encode(clean).decode("ascii")}
    kind = "a PNG" if media_type == "image/png" else "an SVG"
    note = (
        f"{kind} figure of {width} x {height} "
        f"pixels, {done}: the platform cannot verify a figure; a reviewer must look at it"
    )
    if media_type != "image/png":
        note += " (an SVG's coordinates can carry values beyond what it shows)"
    return released, CheckLine(RULE, where, len(clean), False, False, note)
