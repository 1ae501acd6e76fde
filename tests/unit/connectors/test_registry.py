"""Building connectors from a source's configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from connectors.errors import ConnectorConfigError
from connectors.interior import InteriorConnector
from connectors.labour import LabourConnector
from connectors.partner import PartnerConnector
from connectors.registry import connector_for
from connectors.statistics import StatisticsConnector


@dataclass
class Source:
    name: str
    family: str
    endpoint: str = "http://127.0.0.1:1"
    batch_size: int = 123
    options: dict[str, Any] = field(default_factory=dict)


def test_one_connector_per_family(tmp_path) -> None:
    i = connector_for(Source("mvd", "interior", options={"http_read_timeout_s": 3.0}))
    assert isinstance(i, InteriorConnector) and i.page_size == 123
    assert i.transport_config.read_timeout_s == 3.0
    lab = connector_for(Source("mtszn", "labour", options={"drop_dir": str(tmp_path)}))
    assert isinstance(lab, LabourConnector) and lab.files is not None
    s = connector_for(
        Source("stat", "statistics", options={"key": "M.75..", "start_period": "2024"})
    )
    assert isinstance(s, StatisticsConnector) and s.key == "M.75.."
    p = connector_for(Source("uz", "partner", options={"state": "uzb"}))
    assert isinstance(p, PartnerConnector) and p.state == "UZB"


@pytest.mark.parametrize(
    "family,options",
    [
        ("interior", {"drop_dir": "/x"}),
        ("interior", {"http_no_such_setting": 1}),
        ("partner", {}),
        ("nowhere", {}),
    ],
)
def test_bad_configuration_fails_at_load(family, options) -> None:
    with pytest.raises(ConnectorConfigError):
        connector_for(Source("s", family, options=options))
