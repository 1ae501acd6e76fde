"""The fast UUIDv5 helpers give exactly uuid.uuid5's values."""

from __future__ import annotations

import uuid

import pytest

from hub.model.uuids import uuid5_bytes, uuid5_text

NAMES = ["", "a", "iin:900101300123", "fact/v1|p|minute=2024-01-01T10%3A00", "Жанар\x1fß",
         "x" * 300]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("namespace", [uuid.NAMESPACE_URL, uuid.UUID(int=0), uuid.uuid4()])
def test_same_as_uuid5(namespace: uuid.UUID, name: str) -> None:
    expected = uuid.uuid5(namespace, name)
    assert uuid5_bytes(namespace, name) == expected.bytes
    assert uuid5_text(namespace, name) == str(expected)
