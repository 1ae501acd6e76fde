"""What the SDMX parser (:mod:`connectors.sdmx`) yields: observations, header, the stream."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Observation:
    """One observation with everything needed to interpret it alone."""

    dataset: str  # structureRef / DataSet id ("" if none)
    #: the series' key (dimension id, code); a flat message's observation key
    series_key: tuple[tuple[str, str], ...]
    period: str  # value of the time dimension, wherever it sits (obs, series, group, data set)
    value: str | None  # as written; None if the observation has no value
    attributes: dict[str, str]  # data set, group, series and obs attributes (most specific wins)
    time_dimension: str = "TIME_PERIOD"
    #: the full key: every dimension but time, the observation-level one included (DSD order
    #: when the dimensions are given, else document order)
    key: tuple[tuple[str, str], ...] = ()
    #: explicit measure: xsi:type on a 2.1 Obs, the element name of a 2.0 cross-sectional one
    measure: str = ""

    @property
    def key_string(self) -> str:
        return ".".join(v for _, v in self.key)

    @property
    def dimensions(self) -> dict[str, str]:
        return dict(self.key)

    def number(self) -> float | None:
        if self.value is None or self.value in ("", "NaN"):
            return None
        return float(self.value)


@dataclass
class Header:
    id: str = ""
    prepared: str = ""
    sender: str = ""
    structures: dict[str, str] = field(
        default_factory=dict
    )  # structureID -> dimensionAtObservation


@dataclass
class SdmxStream:
    """Iterator of observations; counts and header fill in as it is consumed."""

    _it: Iterator[Observation]
    header: Header = field(default_factory=Header)
    message_type: str = ""
    series_count: int = 0
    observation_count: int = 0
    dataset_count: int = 0
    group_count: int = 0
    footer: list[tuple[str, str]] = field(default_factory=list)  # (code, text)

    def __iter__(self) -> Iterator[Observation]:
        return self

    def __next__(self) -> Observation:
        return next(self._it)
