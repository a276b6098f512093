"""Tables and figures in a result: encoded as parts on the sandbox's side, checked again on the
trusted side (a PNG's chunks walked and its pixels re-encoded, an SVG parsed and refused or
sanitised, a table's form and types), and checked as records by the disclosure walk.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import matplotlib
import pandas as pd
import pyarrow as pa
import pytest

from sandbox.disclosure import check_result, input_values
from sandbox.disclosure.rules.figures import check_figure
from sandbox.disclosure.rules.tables import TableRefused, checked_table
from sandbox.policies.model import RowCountRules
from sandbox.runtime.result_parts import (
    MAX_FIGURE_SIDE,
    encode_result,
    figure_part,
    table_part,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen


def _figure(**kwargs: Any) -> Any:
    figure, axes = plt.subplots(**kwargs)
    axes.bar(["North", "South"], [3, 5])
    axes.set_title("Mean income")
    return figure


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(width: int, height: int, extra: bytes = b"") -> bytes:
    """A grey PNG of ``width`` x ``height`` with ``extra`` chunks after its header."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + extra
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def _part(data: bytes, name: str = "f.png", media_type: str = "image/png") -> dict[str, Any]:
    return {
        "result_part": "figure",
        "name": name,
        "media_type": media_type,
        "base64": base64.b64encode(data).decode("ascii"),
    }


def _released(part: dict[str, Any]) -> bytes:
    return base64.b64decode(part["base64"])


def test_a_dataframe_and_an_arrow_table_become_typed_table_parts() -> None:
    frame = pd.DataFrame({"district": ["N", "S"], "mean": [1.5, float("nan")], "n": [3, 4]})
    part = table_part(frame)
    assert part["columns"] == ["district", "mean", "n"]
    assert [f["type"] for f in part["schema"]] == ["large_string", "double", "int64"]
    assert part["rows"] == [["N", 1.5, 3], ["S", None, 4]]
    assert checked_table(part) == part
    grouped = encode_result({"by": frame.groupby("district")["n"].sum()})["by"]
    assert grouped["columns"] == ["district", "n"] and grouped["rows"] == [["N", 3], ["S", 4]]
    arrow = table_part(pa.table({"when": pa.array([0], pa.timestamp("s"))}))
    assert arrow["rows"] == [["1970-01-01T00:00:00"]] and checked_table(arrow) == arrow
    with pytest.raises(TypeError, match="nested|type"):
        table_part(pa.table({"blob": [b"raw"]}))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"columns": ["a", "b"]}, "differ from its schema"),
        ({"rows": [["x"]]}, "not of its column's type"),
        ({"rows": [[1, 2]]}, "one value per column"),
        ({"schema": [{"name": "a", "type": "binary"}]}, "type a table may not hold"),
        ({"extra": 1}, "not of the table form"),
    ],
)
def test_a_malformed_table_part_is_refused(change: dict[str, Any], problem: str) -> None:
    part: dict[str, Any] = {
        "result_part": "table",
        "schema": [{"name": "a", "type": "int64"}],
        "columns": ["a"],
    }
    part = {**part, "rows": [[1]], **change}
    with pytest.raises(TableRefused, match=problem):
        checked_table(part)


def test_a_matplotlib_png_is_re_encoded_from_its_pixels() -> None:
    part = figure_part(_figure(figsize=(4, 3)), "income.png")
    released, line = check_figure(part, "result.chart")
    assert released is not None and not line.passed and not line.blocking
    assert "400 x 300 pixels" in line.note and "reviewer" in line.note
    data = _released(released)
    assert data.startswith(b"\x89PNG") and b"tEXt" not in data and b"Software" not in data


def test_a_png_with_an_injected_text_chunk_is_stripped() -> None:
    smuggled = _chunk(b"tEXt", b"Comment\x00ZZSECRET00001") + _chunk(b"zTXt", b"k\x00\x00xx")
    released, line = check_figure(_part(_png(8, 4, smuggled)), "result.f")
    assert released is not None and not line.blocking
    assert "tEXt, zTXt chunks dropped" in line.note
    data = _released(released)
    assert b"ZZSECRET" not in data and b"tEXt" not in data and b"zTXt" not in data
    kinds = []
    at = 8
    while at < len(data):
        (length,) = struct.unpack_from(">I", data, at)
        kinds.append(data[at + 4 : at + 8])
        at += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"GIF89a....", "PNG signature"),
        (_png(8, 4) + b"trailing ZZSECRET", "bytes follow the IEND"),
        (_png(8, 4).replace(b"IDAT", b"IDAX"), "CRC does not match"),
        (_png(MAX_FIGURE_SIDE + 1, 1), f"at most {MAX_FIGURE_SIDE} a side"),
    ],
)
def test_a_png_that_is_not_what_it_claims_is_refused(data: bytes, problem: str) -> None:
    released, line = check_figure(_part(data), "result.f")
    assert released is None and line.blocking and not line.passed
    assert problem in line.note and "ZZSECRET" not in line.note


def test_a_matplotlib_svg_is_sanitised() -> None:
    part = figure_part(_figure(), "income.svg")
    assert b"<!--" in _released(part)  # matplotlib writes comments (the labels' text)
    released, line = check_figure(part, "result.chart")
    assert released is not None and not line.blocking
    data = _released(released)
    assert data.startswith(b"<?xml") and b"<svg" in data
    assert b"<!--" not in data and b"metadata" not in data


SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="50pt">'


@pytest.mark.parametrize(
    ("svg", "problem"),
    [
        (SVG_HEAD + "<script>alert(1)</script></svg>", "<script>"),
        (SVG_HEAD + '<g onload="alert(1)"/></svg>', "event attribute"),
        (SVG_HEAD + "<foreignObject><p>x</p></foreignObject></svg>", "<foreignObject>"),
        (
            SVG_HEAD.replace("<svg ", '<svg xmlns:xlink="http://www.w3.org/1999/xlink" ')
            + '<use xlink:href="https://example.org/a.svg#x"/></svg>',
            "outside the figure",
        ),
        (SVG_HEAD + '<path style="fill:url(https://evil/x)" d="M0 0"/></svg>', "outside"),
        (SVG_HEAD + "<style>@import url(https://evil/x.css);</style></svg>", "imports"),
        (SVG_HEAD + "<g>ZZSECRET00001</g></svg>", "text outside text elements"),
        (
            '<!DOCTYPE svg [<!ENTITY e "ZZSECRET">]>' + SVG_HEAD + "<g/></svg>",
            "document type subset",
        ),
        (SVG_HEAD.replace("100pt", "9000pt") + "<g/></svg>", "at most 4096"),
        ("<html><script/></html>", "root element"),
    ],
)
def test_an_svg_with_scripts_references_or_smuggled_text_is_refused(svg: str, problem: str) -> None:
    released, line = check_figure(_part(svg.encode(), "f.svg", "image/svg+xml"), "result.f")
    assert released is None and line.blocking, line
    assert problem in line.note and "ZZSECRET" not in line.note


def test_an_oversized_figure_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match=r"5000 x 5000 pixels: at most 4096 pixels a side"):
        figure_part(_figure(figsize=(50, 50)), "big.png", dpi=100)
    with pytest.raises(ValueError, match=r"is 2097152 bytes: at most 1048576"):
        figure_part(b"\x89PNG" + b"\x00" * (2 * 1024 * 1024 - 4), "big.png")
    with pytest.raises(ValueError, match="plain file name"):
        figure_part(_figure(), '../"evil".png')
    huge = _part(b"\x89PNG" + b"\x00" * (1024 * 1024 + 10))
    released, line = check_figure(huge, "result.f")
    assert released is None and line.blocking and "larger than 1048576 bytes" in line.note


def _check(result: Any, kind: str) -> tuple[Any, Any]:
    return check_result(
        result,
        verified={},
        rules=RowCountRules(),
        max_bytes=4 * 1024 * 1024,
        input_values=input_values(None, (), ()),
        earlier=(),
        kind=kind,
    )


def test_a_figure_is_never_auto_released_and_a_table_is_checked_as_records() -> None:
    figure = figure_part(_figure(figsize=(3, 2)), "chart.png")
    small = table_part(pd.DataFrame({"district": ["N", "S"], "mean": [1.5, 2.5]}))
    released, report = _check({"chart": figure, "table": small}, "dp")
    assert not report.blocked and not report.auto_releasable
    assert report.to_dict()["failed_rules"] == ["figure", "table"]
    _, alone = _check({"table": small}, "dp")
    assert alone.to_dict()["failed_rules"] == ["table"] and not alone.blocked
    assert released["table"] == small and released["chart"]["name"] == "chart.png"
    _, raw = _check({"table": small}, "raw")
    assert raw.to_dict()["failed_rules"] == ["unverifiable"] and not raw.blocked
    assert "a table the model computed (2 rows, 2 columns)" in raw.failed()[0].note
    rows = table_part(pd.DataFrame({"i": list(range(12))}))
    _, records = _check({"rows": rows}, "raw")
    assert records.blocked and "row_level" in records.to_dict()["failed_rules"]
    _, malformed = _check({"t": {**small, "rows": [[1]]}}, "dp")
    assert malformed.blocked and malformed.to_dict()["failed_rules"] == ["table"]


def test_results_without_parts_are_encoded_as_before() -> None:
    import numpy as np

    value = {"n": np.int64(3), "xs": (np.float64(1.5), [1, "a"]), "d": {"k": None}}
    assert encode_result(value) == {"n": 3, "xs": [1.5, [1, "a"]], "d": {"k": None}}
    bare = encode_result({"plot": _figure(figsize=(2, 2))})["plot"]
    assert bare["name"] == "plot.png" and bare["media_type"] == "image/png"
    assert io.BytesIO(_released(bare)).read(4) == b"\x89PNG"
