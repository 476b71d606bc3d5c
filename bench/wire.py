"""Section 4: bytes on the wire for a sync against the ciphertext it carries, and round trips."""

import gzip
import json
import math
import os
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.figures import Results, goal_at_most
from bench.servers import demo_server, pull_from
from bench.workload import NOTES, build_cases
from crypto.caselog import CaseLog
from crypto.encoding import b64url_encode
from crypto.writer import seal_entry_as_author
from tests.http import HttpSession
from tests.sync_client import DemoWriter, demo_writer

WIRE = "4. Wire efficiency"
MIB = 1024 * 1024
# The app's sync engine pushes at most 50 entries or 4 MiB a batch (static/js/sync/engine.js), and
# cuts photos into chunks of 192 KiB (static/js/store/cases.js).
APP_BATCH_ENTRIES = 50
APP_BATCH_BYTES = 4 * MIB
PHOTO_CHUNK = 192 * 1024
PHOTO_BYTES = 400 * 1024  # a document photo after the app's resizing (1600 px, JPEG at 0.8)


class CountingProxy:
    """A TCP relay on loopback that counts every byte each way, HTTP headers included."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = self.down = self.connections = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def reset(self) -> None:
        with self.lock:
            self.up = self.down = self.connections = 0

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.connections += 1
            threading.Thread(target=self.pump, args=(client, server, "up"), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, "down"), daemon=True).start()

    def pump(self, source: socket.socket, sink: socket.socket, direction: str) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                with self.lock:
                    setattr(self, direction, getattr(self, direction) + len(data))
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


def through(http: HttpSession, port: int) -> HttpSession:
    """The same session (cookies, CSRF token) sent through the proxy."""
    return HttpSession(f"http://127.0.0.1:{port}", dict(http.cookies), http.csrf_token)


def push_gzip(http: HttpSession, envelopes: list[bytes]) -> list[dict]:
    """A push as a client that compresses its bodies sends it."""
    body = gzip.compress(json.dumps({"entries": [b64url_encode(e) for e in envelopes]}).encode(), mtime=0)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip", "Accept": "application/json",
               "Accept-Encoding": "gzip", "X-CSRF-Token": http.csrf_token,
               "Cookie": "; ".join(f"{k}={v}" for k, v in http.cookies.items())}
    request = urllib.request.Request(http.base_url + "/api/v1/sync/push", data=body, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        data = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
    results = json.loads(data)["results"]
    if any(r["status"] != "stored" for r in results):
        raise RuntimeError(f"push refused entries: {results[:2]}")
    return results


def push_plain(http: HttpSession, envelopes: list[bytes]) -> None:
    response = http.request("POST", "/api/v1/sync/push", {"entries": [b64url_encode(e) for e in envelopes]},
                            timeout=120)
    if response.status != 200 or any(r["status"] != "stored" for r in response.json()["results"]):
        raise RuntimeError(f"push failed: {response.status}")


def pull_plain(http: HttpSession, cursor: int) -> int:
    while True:
        page = http.request("GET", f"/api/v1/sync/pull?cursor={cursor}").json()
        cursor = page["next_cursor"]
        if not page["more"]:
            return cursor


def app_batches(envelopes: list[bytes]) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    size = 0
    for envelope in envelopes:
        if batch and (len(batch) == APP_BATCH_ENTRIES or size + len(envelope) > APP_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(envelope)
        size += len(envelope)
    if batch:
        yield batch


def measure_sync(proxy: CountingProxy, writer: DemoWriter, reader: DemoWriter, envelopes: list[bytes],
                 compressed: bool) -> tuple[float, float, int, int]:
    """Wire bytes over ciphertext bytes, up (push) and down (pull); and the requests each way."""
    _, cursor = pull_from(reader.http, 0)
    up_http, down_http = through(writer.http, proxy.port), through(reader.http, proxy.port)
    proxy.reset()
    for batch in app_batches(envelopes):
        (push_gzip if compressed else push_plain)(up_http, batch)
    up, pushes = proxy.up + proxy.down, proxy.connections
    proxy.reset()
    if compressed:
        pulled, _ = pull_from(down_http, cursor)
        if len(pulled) != len(envelopes):
            raise RuntimeError(f"pulled {len(pulled)} of {len(envelopes)}")
    else:
        pull_plain(down_http, cursor)
    down, pulls = proxy.up + proxy.down, proxy.connections
    total = sum(len(e) for e in envelopes)
    return up / total, down / total, pushes, pulls


def day_of_work(writer: DemoWriter, intakes: int = 20, photos: int = 5) -> tuple[list[bytes], int]:
    """A volunteer's day: intakes (a case, its intake, an edit) and document photos in chunks."""
    envelopes: list[bytes] = []
    cases = []
    for index in range(intakes):
        log, key, written = writer.new_case(f"{NOTES} intake {index}")
        written.append(writer.seal(log, key, f"{NOTES} edit {index}"))
        envelopes += written
        cases.append((log, key))
    for index in range(photos):
        log, key = cases[index]
        photo = os.urandom(PHOTO_BYTES)  # JPEG data does not compress
        attachment = b64url_encode(os.urandom(16))
        chunks = math.ceil(len(photo) / PHOTO_CHUNK)
        for chunk in range(chunks):
            body = {"type": "attachment", "attachment": attachment, "mime": "image/jpeg", "name": "photo",
                    "chunk": chunk, "of": chunks,
                    "data": b64url_encode(photo[chunk * PHOTO_CHUNK:(chunk + 1) * PHOTO_CHUNK])}
            envelopes.append(seal_body(writer, log, key, body))
    return envelopes, photos * PHOTO_BYTES


def seal_body(writer: DemoWriter, log: CaseLog, key: bytes, body: dict) -> bytes:
    return seal_entry_as_author(log, writer.keys, device_id=writer.device, case_key=key,
                                body_json=json.dumps(body).encode())


def run_wire(results: Results, work: Path, *, entries: int, runs: int) -> None:
    with demo_server(work) as server:
        writer, reader = demo_writer(server.url), demo_writer(server.url, "coordinator")
        proxy = CountingProxy(server.port)
        try:
            sync_ratios(results, proxy, writer, reader, entries, runs)
            day_round_trips(results, proxy, writer, reader)
        finally:
            proxy.close()


def sync_ratios(results: Results, proxy: CountingProxy, writer: DemoWriter, reader: DemoWriter, entries: int,
                runs: int) -> None:
    per_case = 10
    plain, packed = [], []
    for _ in range(runs):
        built = [e for case in build_cases(writer, max(1, entries // per_case), per_case) for e in case]
        plain.append(measure_sync(proxy, writer, reader, built, compressed=False))
        built = [e for case in build_cases(writer, max(1, entries // per_case), per_case) for e in case]
        packed.append(measure_sync(proxy, writer, reader, built, compressed=True))
    label = f"sync of {entries} intake-sized entries"
    results.add(WIRE, f"push bytes / ciphertext bytes, {label}, gzip", "ratio", [r[0] for r in packed],
                **goal_at_most(1.10))
    results.add(WIRE, f"pull bytes / ciphertext bytes, {label}, gzip", "ratio", [r[1] for r in packed],
                **goal_at_most(1.10))
    results.add(WIRE, "push bytes / ciphertext bytes, without compression", "ratio", [r[0] for r in plain])
    results.add(WIRE, "pull bytes / ciphertext bytes, without compression", "ratio", [r[1] for r in plain])


def day_round_trips(results: Results, proxy: CountingProxy, writer: DemoWriter, reader: DemoWriter) -> None:
    envelopes, photo_bytes = day_of_work(writer)
    ratio_up, ratio_down, pushes, pulls = measure_sync(proxy, writer, reader, envelopes, compressed=True)
    allowed = 2 + math.ceil(photo_bytes / MIB)
    label = f"a day: 20 intakes, 5 photos of {PHOTO_BYTES // 1024} KiB, {len(envelopes)} entries"
    results.add(WIRE, f"push requests, {label}", "round trips", [pushes], **goal_at_most(allowed))
    results.add(WIRE, "pull requests for that day on another device", "round trips", [pulls], **goal_at_most(allowed))
    results.add(WIRE, "that day: push bytes / ciphertext bytes", "ratio", [ratio_up], **goal_at_most(1.10))
    results.add(WIRE, "that day: pull bytes / ciphertext bytes", "ratio", [ratio_down], **goal_at_most(1.10))
