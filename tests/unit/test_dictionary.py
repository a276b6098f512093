"""The data dictionary: each rule of a column declaration, and the JSON round trip."""

import pyarrow as pa
import pytest

from sandbox.catalog.dictionary import Classification, ColumnSpec, ColumnType, DataDictionary
from sandbox.errors import InvalidRequest


def column(**overrides):
    data = {"name": "age", "type": "int64", "classification": "public"}
    data.update(overrides)
    return data


def test_round_trip_keeps_every_field():
    spec = [
        column(description="years", lower=0, upper=110, nullable=False),
        column(
            name="district", type="string", categories=["N", "S"], classification="quasi_identifier"
        ),
    ]
    dictionary = DataDictionary.from_list(spec)
    assert DataDictionary.from_list(dictionary.to_list()) == dictionary
    assert dictionary.by_name["district"].categories == ("N", "S")
    assert dictionary.arrow_schema().field("age").type == pa.int64()


@pytest.mark.parametrize(
    "bad, needle",
    [
        (column(type="integer"), "type 'integer' is not one of"),
        (column(classification="secret"), "classification 'secret'"),
        (column(categories=["a"]), "categories can only be declared on string"),
        (column(type="string", categories=[]), "category list is empty"),
        (column(type="string", categories=["a", "a"]), "repeat"),
        (column(lower=3, upper=1), "above upper bound"),
        (column(type="string", lower=1), "needs a numeric column"),
        (column(lower=float("inf")), "not finite"),
        (column(lower="zero"), "must be a number"),
        (column(name="bad name"), "column name"),
        (column(nullable="yes"), "nullable"),
        (column(colour="red"), "unknown field"),
        ({"type": "int64"}, "needs a string 'name'"),
    ],
)
def test_bad_column_declarations_name_the_problem(bad, needle):
    with pytest.raises(InvalidRequest, match=needle):
        DataDictionary.from_list([bad])


def test_dictionary_level_rules():
    with pytest.raises(InvalidRequest, match="at least one column"):
        DataDictionary.from_list([])
    with pytest.raises(InvalidRequest, match="more than once"):
        DataDictionary.from_list([column(), column()])
    with pytest.raises(InvalidRequest, match="must be a list"):
        DataDictionary.from_list("age")
    with pytest.raises(InvalidRequest, match="must be an object"):
        DataDictionary.from_list(["age"])


def test_every_type_maps_to_an_arrow_type():
    for kind in ColumnType:
        spec = ColumnSpec(name="c", type=kind, description="", classification=Classification.PUBLIC)
        assert isinstance(spec.type.arrow_type(), pa.DataType)
