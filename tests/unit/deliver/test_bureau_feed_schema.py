"""The bureau feed's JSON Schema: what ``transform`` writes is valid; identities are not."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from hub.deliver.bureau_feed import ALLOWED_FIELDS, FEED_FAMILIES, feed_schema, transform
from security.pseudonym import Pseudonymizer

EXAMPLE = Path(str(files("schemas").joinpath("examples/valid/event1-Event.xml")))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = feed_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture
def message() -> dict:
    fact = transform(EXAMPLE.read_bytes(), "border", Pseudonymizer(b"k" * 32))
    assert fact is not None
    return fact


class TestFeedSchema:
    def test_a_transformed_event_is_valid(self, validator, message) -> None:
        validator.validate(message)
        assert message["fields"], "the example's statistical fields are kept"

    def test_schema_allows_exactly_the_feed_fields_and_families(self) -> None:
        props = feed_schema()["properties"]
        assert set(props["fields"]["propertyNames"]["enum"]) == ALLOWED_FIELDS
        assert set(props["family"]["enum"]) == set(FEED_FAMILIES)

    @pytest.mark.parametrize(
        ("change", "where"),
        [
            ({"iin": "900715300128"}, "iin"),  # no identity property exists
            ({"fields": {"DocumentNumber": "FA1234567"}}, "DocumentNumber"),
            ({"fields": {"BirthDate": "1990-07-15"}}, "BirthDate"),
            ({"pseudonym": "P-7Q2K9M4X"}, "P-7Q2K9M4X"),  # a person id, not a pseudonym
            ({"version": 0}, "0"),
        ],
    )
    def test_identities_and_bad_values_are_refused(
        self, validator, message, change: dict, where: str
    ) -> None:
        bad = {**message, **change}
        errors = list(validator.iter_errors(bad))
        assert errors and any(where in str(e.message) for e in errors)
