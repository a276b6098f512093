"""The pieces of a verification below the HTTP layer: normalising and refusing inputs,
the keyed-hash index and its answers, the fields a service may declare, and reading a
streamed file of records.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox.catalog.dictionary import ColumnType, DataDictionary
from sandbox.errors import InvalidRequest
from sandbox.storage.datastore import DataStore
from sandbox.verification import index as index_module
from sandbox.verification.batch import BatchFormat, BatchReader, format_of
from sandbox.verification.index import Hasher, IndexCache, build_index
from sandbox.verification.keys import fingerprint, load_key, lookup_hash
from sandbox.verification.model import AnswerKind, CasePolicy, FieldSpec
from sandbox.verification.normalise import InvalidRecord, input_record, input_value, stored_value
from sandbox.verification.reading import column_batches
from sandbox.verification.services import check_fields

KEY = b"k" * 32
LICENCE = FieldSpec("licence", "licence_no", min_length=6)
COMPANY = FieldSpec("company", "company_name", case=CasePolicy.INSENSITIVE)
FIELDS = (LICENCE, COMPANY)
KINDS = (ColumnType.STRING, ColumnType.STRING)
ROWS = {
    "licence_no": ["QD-000123", "QD-000456", None, "QD-000789"],
    "company_name": ["Haier Foods", "Tsingtao Marine", "Nobody Ltd", None],
}


# --- normalisation and refusals -------------------------------------------------------------


def test_inputs_and_stored_values_meet_in_one_canonical_text() -> None:
    assert input_value(COMPANY, ColumnType.STRING, "  HAIER Foods ", "record 0") == "haier foods"
    assert stored_value(COMPANY, ColumnType.STRING, "Haier Foods") == "haier foods"
    # case-sensitive fields keep case; NFKC folds full-width forms into ASCII
    assert input_value(LICENCE, ColumnType.STRING, "ＱＤ-000123", "r") == "QD-000123"
    assert input_value(LICENCE, ColumnType.STRING, "qd-000123", "r") != "QD-000123"
    number = FieldSpec("n", "n")
    assert input_value(number, ColumnType.INT64, "0042", "r") == "42"
    assert input_value(number, ColumnType.INT64, 42, "r") == stored_value(
        number, ColumnType.INT64, 42
    )
    assert input_value(number, ColumnType.DATE, "2026-03-01", "r") == stored_value(
        number, ColumnType.DATE, date(2026, 3, 1)
    )
    assert input_value(number, ColumnType.BOOL, True, "r") == "true"
    assert stored_value(number, ColumnType.STRING, None) is None


@pytest.mark.parametrize("wildcard", ["*", "%", "?"])
def test_wildcards_are_refused_naming_record_and_field_but_not_the_value(wildcard: str) -> None:
    with pytest.raises(InvalidRecord) as refused:
        input_value(LICENCE, ColumnType.STRING, f"QD-00{wildcard}SECRET", "record 3")
    message = refused.value.message
    assert "record 3" in message and "'licence'" in message and "wildcard" in message
    assert "SECRET" not in message
    assert refused.value.code == "invalid_record"


def test_the_underscore_is_a_wildcard_only_where_the_field_says_so() -> None:
    assert input_value(LICENCE, ColumnType.STRING, "QD_000123", "r") == "QD_000123"
    strict = FieldSpec("licence", "licence_no", refuse_underscore=True)
    with pytest.raises(InvalidRecord, match="wildcard character '_'"):
        input_value(strict, ColumnType.STRING, "QD_000123", "r")


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("   ", "is empty"),
        ("QD-1", "shorter than its minimum of 6"),
        (None, "is missing"),
        (12, "as text"),
        ("x" * 300, "longer than 256"),
    ],
)
def test_empty_partial_missing_and_odd_inputs_are_refused(value: object, needle: str) -> None:
    with pytest.raises(InvalidRecord, match=needle):
        input_value(LICENCE, ColumnType.STRING, value, "record 0")


def test_typed_fields_refuse_what_is_not_their_type() -> None:
    spec = FieldSpec("n", "n")
    for kind, bad in (
        (ColumnType.INT64, "4.5"),
        (ColumnType.DATE, "1/3/2026"),
        (ColumnType.BOOL, "maybe"),
    ):
        with pytest.raises(InvalidRecord):
            input_value(spec, kind, bad, "r")


def test_a_record_needs_exactly_the_services_fields() -> None:
    assert input_record(FIELDS, KINDS, {"licence": "QD-000123", "company": "x"}, "r") == (
        "QD-000123",
        "x",
    )
    with pytest.raises(InvalidRecord, match="unknown fields 'extra'; this service takes"):
        input_record(FIELDS, KINDS, {"licence": "QD-000123", "company": "x", "extra": 1}, "r")
    with pytest.raises(InvalidRecord, match="'company' is missing"):
        input_record(FIELDS, KINDS, {"licence": "QD-000123"}, "r")
    with pytest.raises(InvalidRecord, match="must be an object"):
        input_record(FIELDS, KINDS, ["QD-000123"], "r")


# --- keys and the index ------------------------------------------------------------------------


def test_keyed_hashes_depend_on_key_label_and_parts(tmp_path: Path) -> None:
    assert lookup_hash(KEY, "a", ["x", "y"]) == lookup_hash(KEY, "a", ["x", "y"])
    assert lookup_hash(KEY, "a", ["x", "y"]) != lookup_hash(b"j" * 32, "a", ["x", "y"])
    assert lookup_hash(KEY, "a", ["x", "y"]) != lookup_hash(KEY, "b", ["x", "y"])
    assert lookup_hash(KEY, "a", ["xy", ""]) != lookup_hash(KEY, "a", ["x", "y"])
    assert len(fingerprint(KEY, "r", ["QD-000123"])) == 32
    # the index's hasher continues the same bytes as hashing label and parts whole
    hasher = Hasher(KEY, 9, FIELDS)
    assert hasher.full(["a", "b"]) == lookup_hash(
        KEY, "verification/v1/9/licence_no,company_name/full", ["a", "b"]
    )
    path = tmp_path / "secrets" / "verification.key"
    key = load_key(path)
    assert len(key) == 32 and load_key(path) == key
    assert path.stat().st_mode & 0o777 == 0o600


def _probe(hasher: Hasher, kind: AnswerKind, licence: str, company: str) -> index_module.Probe:
    values = input_record(FIELDS, KINDS, {"licence": licence, "company": company}, "r")
    return hasher.probe(values, kind)


def test_a_match_index_answers_whole_records_only() -> None:
    hasher = Hasher(KEY, 1, FIELDS)
    built = build_index(hasher, FIELDS, KINDS, AnswerKind.MATCH, [ROWS])
    assert built.rows == 4 and built.full.size == 2  # rows with a missing value match nothing
    assert built.key.size == 0 and built.pairs == ()
    probes = [
        _probe(hasher, AnswerKind.MATCH, "QD-000123", "haier FOODS"),
        _probe(hasher, AnswerKind.MATCH, "QD-000123", "Tsingtao Marine"),
        _probe(hasher, AnswerKind.MATCH, "QD-000999", "Haier Foods"),
        _probe(hasher, AnswerKind.MATCH, "QD-000789", "Anything"),
    ]
    answers = built.answers(FIELDS, probes)
    assert [a.to_dict() for a in answers] == [
        {"record": 0, "match": True},
        {"record": 1, "match": False},
        {"record": 2, "match": False},
        {"record": 3, "match": False},
    ]


def test_a_per_field_index_answers_each_field_beside_the_key() -> None:
    hasher = Hasher(KEY, 2, FIELDS)
    built = build_index(hasher, FIELDS, KINDS, AnswerKind.PER_FIELD, [ROWS])
    probes = [
        _probe(hasher, AnswerKind.PER_FIELD, "QD-000123", "Haier Foods"),
        _probe(hasher, AnswerKind.PER_FIELD, "QD-000123", "Tsingtao Marine"),
        _probe(hasher, AnswerKind.PER_FIELD, "QD-000999", "Haier Foods"),
        _probe(hasher, AnswerKind.PER_FIELD, "QD-000789", "Anything"),
    ]
    answers = [a.to_dict() for a in built.answers(FIELDS, probes)]
    assert answers == [
        {"record": 0, "match": True, "fields": {"licence": True, "company": True}},
        # another row's company beside this licence is not a match of the company
        {"record": 1, "match": False, "fields": {"licence": True, "company": False}},
        {"record": 2, "match": False, "fields": {"licence": False, "company": False}},
        {"record": 3, "match": False, "fields": {"licence": True, "company": False}},
    ]
    # every answer has the same keys, matched or not
    assert len({tuple(sorted(a)) for a in answers}) == 1
    # the hashes of one service are not the hashes of another
    other = Hasher(KEY, 3, FIELDS)
    assert other.full(["QD-000123", "haier foods"]) != hasher.full(["QD-000123", "haier foods"])


def test_every_probe_is_searched_whether_or_not_others_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = Hasher(KEY, 4, FIELDS)
    built = build_index(hasher, FIELDS, KINDS, AnswerKind.PER_FIELD, [ROWS])
    searched: list[int] = []
    real = np.searchsorted

    def counting(array: object, wanted: np.ndarray) -> object:
        searched.append(len(wanted))
        return real(array, wanted)  # type: ignore[call-overload]

    monkeypatch.setattr(np, "searchsorted", counting)
    hit = _probe(hasher, AnswerKind.PER_FIELD, "QD-000123", "Haier Foods")
    miss = _probe(hasher, AnswerKind.PER_FIELD, "QD-999999", "Nobody")
    built.answers(FIELDS, [hit])
    hits_work = list(searched)
    searched.clear()
    built.answers(FIELDS, [miss])
    assert searched == hits_work == [1, 1, 1]  # full, key, one pair: the same for both
    # an empty index does the same number of searches
    empty = build_index(hasher, FIELDS, KINDS, AnswerKind.PER_FIELD, [])
    searched.clear()
    assert not empty.answers(FIELDS, [hit])[0].match
    assert searched == [1, 1, 1]


def test_the_cache_builds_each_index_once() -> None:
    cache = IndexCache(size=1)
    hasher = Hasher(KEY, 5, FIELDS)
    builds = []

    def build() -> index_module.VersionIndex:
        builds.append(1)
        return build_index(hasher, FIELDS, KINDS, AnswerKind.MATCH, [ROWS])

    first = cache.get(("a",), build)
    assert cache.get(("a",), build) is first and len(builds) == 1
    cache.get(("b",), build)
    cache.get(("a",), build)  # evicted by "b" (size 1): built again
    assert len(builds) == 3


def test_the_index_is_built_from_the_stored_file_column_by_column(tmp_path: Path) -> None:
    store = DataStore.from_uri(str(tmp_path / "data"))
    path = f"{store.root}/v1.parquet"
    table = pa.table({**ROWS, "secret": [1.0, 2.0, 3.0, 4.0]})
    pq.write_table(table, path, row_group_size=2)
    batches = list(column_batches(store, path, ["licence_no", "company_name"]))
    assert len(batches) == 2 and set(batches[0]) == {"licence_no", "company_name"}
    hasher = Hasher(KEY, 6, FIELDS)
    built = build_index(hasher, FIELDS, KINDS, AnswerKind.MATCH, batches)
    assert built.rows == 4 and built.full.size == 2


# --- what a service may declare -------------------------------------------------------------


DICTIONARY = DataDictionary.from_list(
    [
        {"name": "licence_no", "type": "string", "classification": "identifier"},
        {"name": "company_name", "type": "string", "classification": "quasi_identifier"},
        {"name": "district", "type": "string", "classification": "public"},
        {"name": "revenue", "type": "float64", "classification": "public"},
        {"name": "diagnosis", "type": "string", "classification": "sensitive"},
        {"name": "opened", "type": "timestamp", "classification": "public"},
    ]
)


def test_a_service_keys_on_an_identifier_and_never_confirms_a_sensitive_value() -> None:
    check_fields(DICTIONARY, FIELDS, AnswerKind.PER_FIELD)
    cases = [
        ((COMPANY, LICENCE), "the first field ('company') is the key"),
        ((LICENCE, FieldSpec("d", "diagnosis")), "never confirms a sensitive value"),
        ((LICENCE, FieldSpec("r", "revenue")), "no exact value to verify"),
        ((LICENCE, FieldSpec("o", "opened")), "no exact value to verify"),
        ((LICENCE, FieldSpec("x", "missing")), "'missing' is not a column"),
        ((LICENCE, FieldSpec("licence", "district")), "field names repeat 'licence'"),
        ((LICENCE, FieldSpec("again", "licence_no")), "columns repeat 'licence_no'"),
        ((), "at least one field"),
    ]
    for fields, needle in cases:
        with pytest.raises(InvalidRequest, match=re.escape(needle)):
            check_fields(DICTIONARY, fields, AnswerKind.MATCH)
    with pytest.raises(InvalidRequest, match="per_field service needs a key field and at least"):
        check_fields(DICTIONARY, (LICENCE,), AnswerKind.PER_FIELD)


def test_field_declarations_are_parsed_strictly() -> None:
    parsed = FieldSpec.from_dict({"name": "licence", "column": "licence_no", "case": "insensitive"})
    assert parsed.case is CasePolicy.INSENSITIVE and parsed.min_length == 1
    assert FieldSpec.from_dict(parsed.to_dict()) == parsed
    for bad, needle in (
        ({"name": "a", "column": "b", "min_length": 0}, "min_length"),
        ({"name": "a", "column": "b", "case": "upper"}, "case"),
        ({"name": "a", "column": "b", "colour": 1}, "unknown keys: colour"),
        ({"column": "b"}, "needs a name"),
    ):
        with pytest.raises(InvalidRequest, match=needle):
            FieldSpec.from_dict(bad)


# --- reading a streamed batch ----------------------------------------------------------------


def _read(kind: BatchFormat, body: bytes, chunk: int = 5) -> list[tuple[int, dict[str, object]]]:
    reader = BatchReader(kind)
    found: list[tuple[int, dict[str, object]]] = []
    for start in range(0, len(body), chunk):
        found.extend(reader.feed(body[start : start + chunk]))
    found.extend(reader.finish())
    return found


def test_csv_batches_arrive_record_by_record_with_their_lines() -> None:
    body = (
        b'\xef\xbb\xbflicence,company\r\nQD-000123,"Haier, Foods"\r\n\r\n'
        b'QD-000456,"Tsingtao\nMarine ""Ltd"""\nQD-000789,Last'
    )
    assert _read(BatchFormat.CSV, body) == [
        (2, {"licence": "QD-000123", "company": "Haier, Foods"}),
        (4, {"licence": "QD-000456", "company": 'Tsingtao\nMarine "Ltd"'}),
        (6, {"licence": "QD-000789", "company": "Last"}),
    ]
    with pytest.raises(InvalidRecord, match="line 2 holds 1 values where the header names 2"):
        _read(BatchFormat.CSV, b"licence,company\nQD-000123\n")
    with pytest.raises(InvalidRecord, match="line 2: a quoted value is never closed"):
        _read(BatchFormat.CSV, b'licence,company\nQD-000123,"open\n')


def test_ndjson_batches_and_their_refusals() -> None:
    body = b'{"licence": "QD-000123", "company": "x"}\n\n{"licence": "QD-000456", "company": "y"}'
    assert [line for line, _ in _read(BatchFormat.NDJSON, body)] == [1, 3]
    with pytest.raises(InvalidRecord, match="line 2 is not JSON"):
        _read(BatchFormat.NDJSON, b'{"licence": "a"}\n{nope\n')
    with pytest.raises(InvalidRecord, match="line 1 must be a JSON object"):
        _read(BatchFormat.NDJSON, b'["a"]\n')
    with pytest.raises(InvalidRecord, match="line 1 is not UTF-8"):
        _read(BatchFormat.NDJSON, b'{"a": "\xff"}\n')


def test_batch_media_types() -> None:
    assert format_of("text/csv; charset=utf-8") is BatchFormat.CSV
    assert format_of("application/x-ndjson") is BatchFormat.NDJSON
    with pytest.raises(InvalidRequest, match="text/csv"):
        format_of("application/json")
