"""An open-model load generator for autosave: requests go out on a fixed schedule, and each
latency is measured from the moment the request was meant to go, so a slow server cannot hide
its tail by slowing the generator down (no coordinated omission).

Every simulated professional holds one keep-alive connection, as a browser tab does, and saves
one after another, as htmx does (a save waits for the one before it). Saves are spread over the
professionals in turn, so at R saves a second with N professionals each saves every N/R
seconds. The client is plain HTTP/1.1 over asyncio streams: cheap enough that the generator,
which shares the machine with the server, costs far less than what it measures.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from testkit.live import VERSION_PATTERN, Professional

TIMEOUT_SECONDS = 10.0


class Connection:
    """One keep-alive HTTP/1.1 connection: request, then read the whole answer."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        answer_headers = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                answer_headers[name.strip().lower()] = value.strip()
        if answer_headers.get("transfer-encoding", "").lower() == "chunked":
            content = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                content += await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                del content[-2:]
            payload = bytes(content)
        else:
            payload = await self.reader.readexactly(int(answer_headers.get("content-length", 0)))
        if answer_headers.get("connection", "").lower() == "close":
            self.close()
        return status, payload


@dataclass
class Save:
    """One autosave: when it was meant to go, how long it took from then, and its outcome."""

    user: int
    number: int
    intended: float
    latency: float = 0.0
    status: int = 0
    error: str = ""
    marker: str = ""  # the value of the target's marker field in this save

    @property
    def acknowledged(self) -> bool:
        return self.status == 200 and not self.error


@dataclass
class Result:
    rate: float
    duration: float
    saves: list[Save] = field(default_factory=list)

    @property
    def acknowledged(self) -> list[Save]:
        return [save for save in self.saves if save.acknowledged]

    @property
    def errors(self) -> int:
        return len(self.saves) - len(self.acknowledged)

    def percentile(self, share: float) -> float:
        """Latency at `share` (0.5, 0.95, 0.99) over every save, in ms; errors count as their
        time to fail."""
        latencies = sorted(save.latency for save in self.saves)
        if not latencies:
            return 0.0
        index = min(len(latencies) - 1, max(0, round(share * len(latencies)) - 1))
        return latencies[index] * 1000

    @property
    def maximum(self) -> float:
        return max((save.latency for save in self.saves), default=0.0) * 1000

    @property
    def median(self) -> float:
        return statistics.median(save.latency for save in self.saves) * 1000 if self.saves else 0

    @property
    def achieved(self) -> float:
        """Acknowledged saves per second over the run."""
        return len(self.acknowledged) / self.duration


# What one save sends: (professional number, the page's save number) -> form fields.
Body = Callable[[int, int], dict[str, str]]


@dataclass
class Target:
    """Where the saves go: the portal's autosave, or a bare endpoint for comparison."""

    url: str
    path_for: Callable[[Professional], str]
    body: Body
    follow_version: bool = True
    marker_field: str = ""  # the field whose value names the save, to find it stored later


async def run(target: Target, people: list[Professional], rate: float, duration: float) -> Result:
    """Send `rate` saves a second for `duration` seconds, on schedule, and wait for the last."""
    split = urlsplit(target.url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    total = int(rate * duration)
    queues: list[list[Save]] = [[] for _ in people]
    result = Result(rate, duration)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    for number in range(total):
        save = Save(number % len(people), number // len(people), start + number / rate)
        queues[save.user].append(save)
        result.saves.append(save)

    async def professional(index: int) -> None:
        person = people[index]
        connection = Connection(host, port)
        headers = {
            "Cookie": person.cookie_header,
            "X-CSRF-Token": person.csrf_token,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        path = target.path_for(person)
        try:
            for save in queues[index]:
                delay = save.intended - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                person.seq += 1
                answers = target.body(index, person.seq)
                save.marker = answers.get(target.marker_field, "")
                fields = {
                    **answers,
                    "version": str(person.version),
                    "page_token": person.page_token,
                    "page_seq": str(person.seq),
                }
                body = urlencode(fields).encode()
                try:
                    status, payload = await asyncio.wait_for(
                        connection.request("POST", path, headers, body), TIMEOUT_SECONDS
                    )
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as error:
                    save.error = type(error).__name__
                    connection.close()
                else:
                    save.status = status
                    if target.follow_version and status == 200:
                        found = VERSION_PATTERN.search(payload.decode("utf-8", "replace"))
                        if found:
                            person.version = int(found.group(1))
                            person.acknowledged += 1
                            person.last_marker = save.marker
                        else:
                            save.error = "no version in the answer"
                save.latency = loop.time() - save.intended
        finally:
            connection.close()

    await asyncio.gather(*(professional(index) for index in range(len(people))))
    return result
