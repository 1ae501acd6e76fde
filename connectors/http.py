"""HTTP transport shared by every REST/SDMX/SOAP connector.

What users of an agency feed expect from a client, in one place:

- bounded waits: connect and read timeouts, a cap on the response size;
- retries with exponential backoff and jitter on 5xx, connection errors,
  timeouts and truncated bodies; ``429``/``503`` honour ``Retry-After``;
- no retry on other 4xx: the request is wrong, :class:`SourceRejected`;
- after the last attempt a clear :class:`SourceUnavailable` naming the source
  and the page, with the transport error chained (``raise ... from exc``);
- TLS with a CA bundle and a client certificate (mutual TLS); plain HTTP only
  where the endpoint says ``http://`` (local simulators).

Built on httpx (pinned in pyproject): connection pooling, streaming bodies and
precise timeout classes that the standard library does not give.
"""

from __future__ import annotations

import contextlib
import random
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from connectors.base import SourceConnector
from connectors.errors import SourceRejected, SourceUnavailable

# An agency gateway that does not accept a TCP connection in 5 s is down, not slow.
CONNECT_TIMEOUT_S = 5.0
# A page of 500-1000 records is generated in well under a second by agency
# systems; 30 s between bytes means the server is stuck, not busy.
READ_TIMEOUT_S = 30.0
# Attempts per request, first included: 5 attempts with the backoff below span
# about 15 s, enough to ride out a gateway restart without stalling a DAG run.
MAX_ATTEMPTS = 5
# First backoff step; doubles per attempt (0.5, 1, 2, 4 ...).
BACKOFF_BASE_S = 0.5
# No single wait longer than this: a longer outage is the scheduler's business.
BACKOFF_MAX_S = 30.0
# A Retry-After beyond this is an outage announcement: give up now and let the
# next scheduled run try, rather than hold a worker slot asleep.
MAX_RETRY_AFTER_S = 120.0
# Twice the hardened parser's document limit: an oversized record still reaches
# the validate stage (which quarantines it with its rule) but an endless body
# cannot exhaust memory.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
# Bytes of an error body quoted in the exception message.
ERROR_SNIPPET_BYTES = 300

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
THROTTLE_STATUS = frozenset({429, 503})


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportConfig:
    """Timeouts, retry policy and TLS material of one source's client."""

    connect_timeout_s: float = CONNECT_TIMEOUT_S
    read_timeout_s: float = READ_TIMEOUT_S
    max_attempts: int = MAX_ATTEMPTS
    backoff_base_s: float = BACKOFF_BASE_S
    backoff_max_s: float = BACKOFF_MAX_S
    max_retry_after_s: float = MAX_RETRY_AFTER_S
    max_response_bytes: int = MAX_RESPONSE_BYTES
    #: PEM bundle of CAs trusted for the agency's server certificate (None: system store)
    ca_bundle: str | None = None
    #: PEM client certificate (chain) and key for mutual TLS
    client_cert: str | None = None
    client_key: str | None = None
    #: HTTP Basic credentials (from the source's Airflow Connection login/password)
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if (self.client_cert is None) != (self.client_key is None):
            raise ValueError("client_cert and client_key go together")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> TransportConfig:
        """Build from a source's ``options`` table; unknown ``http_*`` keys are rejected."""
        known = {f"http_{name}" for name in cls.__dataclass_fields__}
        given = {k: v for k, v in options.items() if k.startswith("http_")}
        unknown = set(given) - known
        if unknown:
            raise ValueError(f"unknown transport options {sorted(unknown)}")
        return cls(**{k.removeprefix("http_"): v for k, v in given.items()})


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete, successful response."""

    status: int
    headers: httpx.Headers
    body: bytes


class _Retry(Exception):
    """Internal: this attempt failed in a way worth retrying."""

    def __init__(self, reason: str, delay_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay_s = delay_s


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse ``Retry-After``: delta seconds or an HTTP date; None if absent or unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HttpTransport:
    """One pooled client per source; every call names the page it is fetching."""

    def __init__(
        self,
        base_url: str,
        *,
        source: str,
        config: TransportConfig | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.source = source
        self.config = config or TransportConfig()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.attempts = 0  # total requests sent, for tests and run summaries
        self.retries = 0
        cfg = self.config
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(
                cfg.read_timeout_s, connect=cfg.connect_timeout_s, pool=cfg.connect_timeout_s
            ),
            verify=self._ssl_context() if self.base_url.startswith("https:") else True,
            follow_redirects=False,
            headers={"User-Agent": "migration-exchange-hub/0.1"},
            auth=(cfg.username, cfg.password or "") if cfg.username else None,
        )

    def _ssl_context(self) -> ssl.SSLContext:
        cfg = self.config
        ctx = ssl.create_default_context(cafile=cfg.ca_bundle)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if cfg.client_cert and cfg.client_key:
            ctx.load_cert_chain(cfg.client_cert, cfg.client_key)
        return ctx

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public calls ---------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        page: str,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send with retries and return the whole (bounded) body of a 2xx reply."""

        def attempt() -> Reply:
            with self._client.stream(
                method, path, params=_clean(params), content=content, headers=headers
            ) as resp:
                self._check_status(resp, page)
                body = self._read_bounded(resp, page)
                return Reply(resp.status_code, resp.headers, body)

        return self._with_retries(attempt, page)

    @contextlib.contextmanager
    def stream(
        self,
        method: str,
        path: str,
        *,
        page: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        accept_status: frozenset[int] = frozenset(),
    ) -> Iterator[httpx.Response]:
        """Open a 2xx response whose body the caller reads incrementally.

        Status errors are retried here; a failure while the caller reads the body
        surfaces as :class:`SourceUnavailable` and the caller decides how to resume
        (the SDMX connector re-queries and skips what it already emitted).
        ``accept_status`` are non-2xx answers the caller handles itself (SDMX's 404
        "No Results Found").
        """
        stack = contextlib.ExitStack()

        def attempt() -> httpx.Response:
            resp = stack.enter_context(
                self._client.stream(method, path, params=_clean(params), headers=headers)
            )
            try:
                if resp.status_code not in accept_status:
                    self._check_status(resp, page)
            except BaseException:
                stack.close()
                raise
            return resp

        with stack:
            resp = self._with_retries(attempt, page)
            yield resp

    def iter_body(self, resp: httpx.Response, *, page: str) -> Iterator[bytes]:
        """Body chunks of a streamed response, transport errors translated."""
        total = 0
        try:
            for chunk in resp.iter_bytes():
                total += len(chunk)
                yield chunk
        except httpx.HTTPError as exc:
            raise SourceUnavailable(
                f"body broke off after {total} bytes: {type(exc).__name__}: {exc}",
                source=self.source,
                page=page,
            ) from exc

    # --- internals ------------------------------------------------------------

    def _with_retries(self, attempt: Callable[[], Any], page: str) -> Any:
        cfg = self.config
        last: BaseException | None = None
        reason = ""
        for n in range(1, cfg.max_attempts + 1):
            self.attempts += 1
            delay: float | None = None
            try:
                return attempt()
            except _Retry as exc:
                last, reason, delay = exc, exc.reason, exc.delay_s
            except httpx.TimeoutException as exc:
                last, reason = exc, f"timed out ({type(exc).__name__})"
            except httpx.TransportError as exc:
                # connection refused/reset, truncated body (RemoteProtocolError), TLS errors
                last, reason = exc, f"{type(exc).__name__}: {exc}"
            if n == cfg.max_attempts:
                break
            if delay is not None and delay > cfg.max_retry_after_s:
                raise SourceUnavailable(
                    f"{reason}; asks to retry after {delay:.0f} s "
                    f"(more than {cfg.max_retry_after_s:.0f} s)",
                    source=self.source,
                    page=page,
                ) from last
            self.retries += 1
            self._sleep(delay if delay is not None else self._backoff(n))
        raise SourceUnavailable(
            f"unavailable after {cfg.max_attempts} attempts: {reason}",
            source=self.source,
            page=page,
        ) from last

    def _backoff(self, attempt: int) -> float:
        """Equal jitter: half the exponential step fixed, half random, so clients spread."""
        step = min(self.config.backoff_max_s, self.config.backoff_base_s * 2 ** (attempt - 1))
        return step / 2 + self._rng.uniform(0, step / 2)

    def _check_status(self, resp: httpx.Response, page: str) -> None:
        status = resp.status_code
        if 200 <= status < 300:
            return
        if status in THROTTLE_STATUS:
            delay = retry_after_seconds(resp.headers.get("Retry-After"))
            if status == 429 or delay is not None:
                raise _Retry(f"HTTP {status} (throttled)", delay)
        if status in RETRYABLE_STATUS:
            raise _Retry(f"HTTP {status}")
        snippet = _snippet(resp)
        if status >= 500:
            raise _Retry(f"HTTP {status}: {snippet}")
        raise SourceRejected(f"HTTP {status}: {snippet}", source=self.source, page=page)

    def _read_bounded(self, resp: httpx.Response, page: str) -> bytes:
        limit = self.config.max_response_bytes
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise SourceRejected(
                f"response of {declared} bytes exceeds the limit of {limit}",
                source=self.source,
                page=page,
            )
        parts: list[bytes] = []
        total = 0
        for chunk in resp.iter_bytes():
            total += len(chunk)
            if total > limit:
                raise SourceRejected(
                    f"response exceeds the limit of {limit} bytes", source=self.source, page=page
                )
            parts.append(chunk)
        return b"".join(parts)


def _snippet(resp: httpx.Response) -> str:
    try:
        data = resp.read()[:ERROR_SNIPPET_BYTES]
    except httpx.HTTPError:
        return "(no body)"
    return data.decode("utf-8", "replace").strip() or "(empty body)"


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None and v != ""}


class HttpSourceConnector(SourceConnector):
    """A source behind one HTTP endpoint: the transport opens on first use, closes on stop.

    Subclasses set ``endpoint``, ``transport_config`` and ``_http = None`` in
    ``__init__``.
    """

    endpoint: str
    transport_config: TransportConfig
    _http: HttpTransport | None

    @property
    def http(self) -> HttpTransport:
        if self._http is None:
            self._http = HttpTransport(
                self.endpoint, source=self.source, config=self.transport_config
            )
        return self._http

    def start(self) -> None:
        _ = self.http

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
