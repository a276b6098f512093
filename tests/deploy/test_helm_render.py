"""The chart renderer's Go template subset (tests/support/helm_render.py) behaves as Helm's.

Each expected output is what ``helm template`` prints for the same template and values
(``toYaml`` quotes a string with single quotes where Helm uses double: the same YAML value).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.helm_render import HelmRenderError, merge_values, render_chart


def _chart(tmp_path: Path, templates: dict[str, str], values: str = "") -> Path:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 1.2.3\n")
    (tmp_path / "values.yaml").write_text(values)
    for name, text in templates.items():
        (tmp_path / "templates" / name).write_text(text)
    return tmp_path


def _render(tmp_path: Path, template: str, values: str = "", **overrides: Any) -> str:
    chart = _chart(tmp_path, {"t.yaml": template}, values)
    return render_chart(chart, overrides or None)["templates/t.yaml"]


def test_trim_markers_eat_whitespace_on_their_side_only(tmp_path: Path) -> None:
    template = "a:\n  {{- if true }}\n  b: 1\n  {{- end }}\nc: {{ 2 -}}  \n\nd"
    assert _render(tmp_path, template) == "a:\n  b: 1\nc: 2d"


def test_range_over_maps_is_sorted_with_key_and_value(tmp_path: Path) -> None:
    template = (
        "{{- range $k, $v := .Values.m }}\n{{ $k }}={{ $v }}{{ end }}\n"
        "{{- range .Values.l }} [{{ . }}]{{ else }}none{{ end }}"
    )
    values = "m: {zeta: 1, alpha: two, mid: true}\nl: [x, 3]\n"
    assert _render(tmp_path, template, values) == "\nalpha=two\nmid=true\nzeta=1 [x] [3]"
    assert _render(tmp_path, template, values, l=[]).endswith("zeta=1none")


def test_if_else_if_with_and_variables(tmp_path: Path) -> None:
    template = (
        "{{ if eq .Values.n 1 }}one{{ else if eq .Values.n 2 }}two{{ else }}many{{ end }}"
        "|{{ with .Values.w }}{{ .x }}{{ else }}no-w{{ end }}"
        "|{{ $r := .Values.n }}{{ range .Values.l }}{{ $r }}{{ $.Values.n }}{{ end }}"
        '|{{ and 1 0 }} {{ or 0 "" 3 }} {{ not .Values.missing }} {{ ne 1 2 }}'
    )
    assert _render(tmp_path, template, "n: 2\nl: [a]\n") == "two|no-w|22|0 3 true true"
    assert _render(tmp_path, template, "n: 5\nw: {x: y}\nl: []\n").startswith("many|y|")


def test_include_nindent_toyaml_quote_default_printf(tmp_path: Path) -> None:
    helpers = (
        '{{- define "demo.labels" -}}\n'
        "app: {{ .Chart.Name }}\nrel: {{ .Release.Name }}\n{{- end -}}"
    )
    template = (
        'labels:\n  {{- include "demo.labels" . | nindent 2 }}\n'
        "res:\n  {{- toYaml .Values.res | nindent 2 }}\n"
        "empty: {{ toYaml .Values.none }}\n"
        "q: {{ .Values.s | quote }}\n"
        'd: {{ .Values.missing | default "fallback" }} {{ .Values.zero | default 7 }}\n'
        'p: {{ printf "%s-%d:%q" .Chart.Version 3 "x" }}'
    )
    chart = _chart(
        tmp_path,
        {"_helpers.tpl": helpers, "t.yaml": template},
        'res: {limits: {cpu: "2"}, requests: {memory: 1Gi}}\nnone: {}\ns: a "b"\nzero: 0\n',
    )
    rendered = render_chart(chart, release="rel-1")
    assert list(rendered) == ["templates/t.yaml"]  # partials are not manifests
    assert rendered["templates/t.yaml"] == (
        "labels:\n  app: demo\n  rel: rel-1\n"
        "res:\n  limits:\n    cpu: '2'\n  requests:\n    memory: 1Gi\n"
        "empty: {}\n"
        'q: "a \\"b\\""\n'
        "d: fallback 7\n"
        'p: 1.2.3-3:"x"'
    )


def test_comments_render_nothing(tmp_path: Path) -> None:
    assert _render(tmp_path, "a{{/* note */}}b\n{{- /* trimmed */ -}}\nc") == "abc"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ('{{ fail "stop here" }}', "stop here"),
        ('{{ required "x is required" .Values.x }}', "x is required"),
        ("{{ .Values.a.b.c }}", "nil pointer evaluating c"),
        ('{{ lookup "v1" "Secret" "ns" "n" }}', "'lookup' is outside the supported subset"),
        ('{{ template "x" . }}', "'template' is outside the supported subset"),
        ("{{ if true }}open", "if without"),
        ("{{ end }}", "without a block"),
        ("{{ $nope }}", "undefined variable"),
        ('{{ include "absent" . }}', "no template 'absent'"),
        ("{{ .Values.m }}", "cannot print a dict"),
    ],
)
def test_what_is_outside_the_subset_or_fails_is_an_error(
    tmp_path: Path, template: str, message: str
) -> None:
    with pytest.raises(HelmRenderError, match=message):
        _render(tmp_path, template, "a: {}\nm: {k: v}\n")


def test_overrides_merge_as_values_files_do() -> None:
    base = {"a": {"b": 1, "c": {"d": 2}}, "l": [1, 2], "gone": 1}
    merged = merge_values(base, {"a": {"c": {"e": 3}}, "l": [9], "gone": None})
    assert merged == {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "l": [9]}
    assert base["a"] == {"b": 1, "c": {"d": 2}}  # the defaults are left as they were
