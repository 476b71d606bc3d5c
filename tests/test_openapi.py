"""The OpenAPI document names exactly the API the app serves."""

import re

from flask import Flask
from flask.testing import FlaskClient


def served(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_the_document_matches_the_routes(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    described = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert described == served(app)


def test_every_reference_resolves(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    text = str(document)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in document["components"]["schemas"], name
