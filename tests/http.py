"""A small HTTP client for tests against a real server process (real sockets, real cookies)."""

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpSession:
    """Keeps cookies by name (the server sets Secure cookies, which loopback HTTP may carry) and the CSRF token."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf_token: str = ""

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                timeout: float = 30) -> HttpResponse:
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Accept": "application/json", **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        if self.csrf_token:
            all_headers["X-CSRF-Token"] = self.csrf_token
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                result = HttpResponse(response.status, dict(response.headers), response.read())
                set_cookies = response.headers.get_all("Set-Cookie") or []
        except urllib.error.HTTPError as error:
            result = HttpResponse(error.code, dict(error.headers), error.read())
            set_cookies = error.headers.get_all("Set-Cookie") or []
        for cookie in set_cookies:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return result

    def open_page(self, path: str = "/login") -> str:
        html = self.request("GET", path).body.decode()
        self.csrf_token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
        return html

    def post(self, path: str, body: Any = None) -> HttpResponse:
        response = self.request("POST", path, body)
        if response.headers.get("Content-Type", "").startswith("application/json"):
            token = response.json().get("csrf_token")
            if token:
                self.csrf_token = token
        return response
