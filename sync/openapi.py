"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Written out by hand from the views, and checked against the app's routes by a test, so the
document and the code cannot drift apart unnoticed.
"""

from typing import Any

B64URL = {"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "description": "base64url without padding"}
ID = {**B64URL, "description": "16 random bytes, base64url"}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": list(properties) if required is None else required}


SCHEMAS: dict[str, Any] = {
    "Problem": {"type": "object", "description": "RFC 9457 problem details; `type` is urn:carnet:problem:<code>",
                "properties": {"type": {"type": "string"}, "code": {"type": "string"}, "title": {"type": "string"},
                               "status": {"type": "integer"}, "detail": {"type": "string"}},
                "required": ["type", "code", "title", "status"]},
    "KdfParams": obj({"v": {"const": 1}, "alg": {"const": "PBKDF2-HMAC-SHA256"},
                      "iterations": {"type": "integer", "minimum": 600000, "maximum": 10000000}, "salt": B64URL}),
    "Person": obj({"id": ID, "email": {"type": "string"}, "display_name": {"type": "string"},
                   "role": {"enum": ["volunteer", "coordinator", "auditor", "admin"]},
                   "team_id": {"type": ["string", "null"]}, "locale": {"type": ["string", "null"]}}),
    "Session": {"type": "object", "properties": {"person": ref("Person"), "csrf_token": {"type": "string"},
                                                 "kdf_upgrade": ref("KdfParams"),
                                                 "team": {"oneOf": [ref("TeamPolicy"), {"type": "null"}]}},
                "required": ["person", "csrf_token"]},
    "TeamPolicy": obj({"id": ID, "name": {"type": "string"},
                       "retention_days": {"type": ["integer", "null"], "minimum": 0},
                       "rotation_days": {"type": ["integer", "null"], "minimum": 1}}),
    "CaseSummary": obj({"id": ID, "team_id": ID, "epoch": {"type": "integer"}, "entry_count": {"type": "integer"},
                        "created_at": {"type": "integer"}, "updated_at": {"type": "integer"}}),
    "MeasuresTable": obj({"table": {"oneOf": [B64URL, {"type": "null"}]},
                          "version": {"type": ["integer", "null"], "minimum": 1}}),
    "Association": obj({"public_key": B64URL, "fingerprint": B64URL, "spoken": {"type": "string"}}),
    "AccountKeys": obj({"encryption_public": B64URL, "signing_public": B64URL, "wrapped_private": B64URL}),
    "PushResult": {"type": "object", "properties": {
        "entry_id": {"type": "string"}, "status": {"enum": ["stored", "duplicate", "conflict", "rejected"]},
        "code": {"type": "string", "description": "why: the protocol error's name (docs/PROTOCOL.md 9.1), or the"
                 " server's own entry-id-taken, not-the-author, not-a-member, unknown-case, other-team or"
                 " member-disabled"},
        "detail": {"type": "string"}}, "required": ["entry_id", "status"]},
    "AuditRecord": obj({"seq": {"type": "integer"}, "time": {"type": "integer", "description": "milliseconds"},
                        "action": {"type": "string"}, "actor": ID, "subject": ID, "digest": B64URL, "hash": B64URL,
                        "record": {**B64URL, "description": "the CNA record (docs/PROTOCOL.md section 13)"}}),
    "EntryPage": obj({"entries": {"type": "array", "items": obj({"seq": {"type": "integer"}, "case_id": ID,
                                                                  "envelope": B64URL})},
                      "next_cursor": {"type": "integer"}, "more": {"type": "boolean"}}),
}


def body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    problems = {"description": "a problem", "content": {"application/problem+json": {"schema": ref("Problem")}}}
    ok: dict[str, Any] = {"description": description}
    if schema is not None:
        ok["content"] = {"application/json": {"schema": schema}}
    return {"200": ok, "default": problems}


def op(summary: str, *, request: dict[str, Any] | None = None, response: dict[str, Any] | None = None,
       parameters: list[dict[str, Any]] | None = None, public: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": answer(summary, response)}
    if request is not None:
        operation["requestBody"] = body(request)
    if parameters:
        operation["parameters"] = parameters
    if public:
        operation["security"] = []
    return operation


def query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "integer", "minimum": 0}}


def path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


TOKEN = {"type": "string", "minLength": 20, "maxLength": 100, "pattern": "^[A-Za-z0-9_-]*$"}
# Sync answers of 1 KiB or more come back gzip-compressed to a client that accepts it.
GZIP_BODY = {"name": "Content-Encoding", "in": "header", "required": False, "schema": {"enum": ["gzip"]},
             "description": "the body may be sent gzip-compressed; it may inflate to at most 16 MiB"}
ENVELOPES = {"type": "array", "minItems": 1, "maxItems": 200, "items": B64URL}

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/openapi.json": {"get": op("This document", response={"type": "object"}, public=True)},
    "/api/v1/auth/csrf": {"get": op("A CSRF token for pages that carry none", public=True,
                                    response=obj({"csrf_token": {"type": "string"}}))},
    "/api/v1/auth/params": {"post": op("The account's KDF parameters (made-up ones for an unknown email)",
                                       request=obj({"email": {"type": "string"}}), public=True,
                                       response=obj({"kdf": ref("KdfParams")}))},
    "/api/v1/auth/login": {"post": op("Log in with the derived auth secret", public=True,
                                      request=obj({"email": {"type": "string"}, "auth": B64URL}),
                                      response=ref("Session"))},
    "/api/v1/auth/logout": {"post": op("End this session", response=obj({"logged_out": {"type": "boolean"}}))},
    "/api/v1/enrolment/start": {"post": op("Open an invitation", request=obj({"token": TOKEN}), public=True,
                                           response=obj({"email": {"type": "string"}, "role": {"type": "string"},
                                                         "kind": {"enum": ["enrol", "reset"]},
                                                         "kdf": ref("KdfParams"),
                                                         "association": {"oneOf": [ref("Association"), {"type": "null"}]}}))},
    "/api/v1/enrolment/finish": {"post": op("Use an invitation: create the account and log in", public=True,
                                            request=obj({"token": TOKEN, "display_name": {"type": "string", "maxLength": 80},
                                                         "auth": B64URL}), response=ref("Session"))},
    "/api/v1/enrolment/reset": {"post": op("Use a passphrase reset link: new KDF parameters and auth, the keys"
                                           " retired, every session ended; then log in", public=True,
                                           request=obj({"token": TOKEN, "auth": B64URL}), response=ref("Session"))},
    "/api/v1/me": {"get": op("The person logged in", response=ref("Session"))},
    "/api/v1/me/kdf": {"post": op("Store the auth derived with the stronger KDF offered at login, with the"
                                  " escrowed key blobs re-wrapped under the new kek (each required if held)",
                                  request=obj({"auth": B64URL, "wrapped_private": B64URL,
                                               "association_wrapped": B64URL}, ["auth"]),
                                  response=obj({"kdf": ref("KdfParams")}))},
    "/api/v1/me/passphrase": {"post": op("Change the passphrase: the auth of the current one, the new KDF"
                                         " parameters and auth, and the escrowed key blobs re-wrapped under"
                                         " the new kek (each required if held), changed together",
                                         request=obj({"old_auth": B64URL, "auth": B64URL, "kdf": ref("KdfParams"),
                                                      "wrapped_private": B64URL, "association_wrapped": B64URL},
                                                     ["old_auth", "auth", "kdf"]),
                                         response=obj({"kdf": ref("KdfParams")}))},
    "/api/v1/me/sessions": {"get": op("This person's open sessions", response={"type": "object"})},
    "/api/v1/me/sessions/{handle}": {"delete": op("End one of this person's sessions", parameters=[path("handle")],
                                                  response=obj({"ended": {"type": "integer"}}))},
    "/api/v1/me/sessions/end-all": {"post": op("End all of this person's sessions",
                                               response=obj({"ended": {"type": "integer"}}))},
    "/api/v1/me/keys": {"get": op("This person's public keys and escrowed key blob", response=ref("AccountKeys")),
                        "put": op("Publish public keys and escrow the key blob, once", request=ref("AccountKeys"),
                                  response=obj({"stored": {"type": "boolean"}}))},
    "/api/v1/association": {"get": op("The association's public signing key", response=ref("Association")),
                            "post": op("Set up the association key, once (admin)",
                                       request=obj({"public_key": B64URL, "wrapped_key": B64URL}),
                                       response=ref("Association"))},
    "/api/v1/association/escrow": {"get": op("The admin's wrapped association key (admin)",
                                             response=obj({"wrapped_key": B64URL}))},
    "/api/v1/directory": {"get": op("Everyone's public keys, fingerprints, latest roster entry and every revoked"
                                    " roster entry (`revocations`, in serial order)",
                                    response={"type": "object"})},
    "/api/v1/roster": {"post": op("Publish a roster entry signed by the association key (admin)",
                                  request=obj({"entry": B64URL}),
                                  response=obj({"user_id": ID, "serial": {"type": "integer"}}))},
    "/api/v1/teams/{team_id}/measures": {
        "get": op("The team's latest table of measures, or null (the team's members)", parameters=[path("team_id")],
                  response=ref("MeasuresTable")),
        "put": op("Replace the team's table by a newer one signed by the caller (a coordinator of the team);"
                  " an older version or a version taken: 409 measures-stale", parameters=[path("team_id")],
                  request=obj({"table": {**B64URL, "description": "the CNM table (docs/PROTOCOL.md 6.11)"}}),
                  response=ref("MeasuresTable"))},
    "/api/v1/sync/push": {"post": op("Push envelopes the caller wrote; one result each",
                                     request=obj({"entries": ENVELOPES}),
                                     response=obj({"results": {"type": "array", "items": ref("PushResult")}}),
                                     parameters=[GZIP_BODY])},
    "/api/v1/sync/pull": {"get": op("Entries after a cursor in the caller's cases", response=ref("EntryPage"),
                                    parameters=[query("cursor", "the last seq seen"), query("limit", "at most 500")])},
    "/api/v1/sync/cases": {"get": op("The caller's cases, metadata only (every case for an auditor)",
                                     response=obj({"cases": {"type": "array", "items": ref("CaseSummary")}}))},
    "/api/v1/sync/cases/{case_id}/entries": {"get": op("One case's entries after a position (members, auditors)",
                                                       parameters=[path("case_id"), query("after", "the last seq seen"),
                                                                   query("limit", "at most 500")],
                                                       response=ref("EntryPage"))},
    "/api/v1/audit/log": {"get": op("Audit records after a position, optionally of one action (auditors)",
                                    parameters=[query("after", "the last seq seen"), query("limit", "at most 1000"),
                                                {"name": "action", "in": "query", "required": False,
                                                 "schema": {"type": "string"}, "description": "an action name"}],
                                    response=obj({"records": {"type": "array", "items": ref("AuditRecord")},
                                                  "next_cursor": {"type": "integer"}, "more": {"type": "boolean"}}))},
    "/api/v1/audit/head": {"get": op("The audit log's head signed now by the server's audit key (auditors)",
                                     response=obj({"head": B64URL, "count": {"type": "integer"}, "last_hash": B64URL,
                                                   "time": {"type": "integer"}, "audit_public_key": B64URL}))},
    "/api/v1/audit/inventory": {"get": op("What the server holds per team and case, and alerts (auditors)",
                                          response=obj({"teams": {"type": "array", "items": {"type": "object"}},
                                                        "audit_records": {"type": "integer"},
                                                        "alerts": {"type": "array", "items": {"type": "object"}}}))},
}

# The second factor (docs/PROTOCOL.md, "Second factor (WebAuthn)"). The credentials are the
# browser's RegistrationResponseJSON / AuthenticationResponseJSON, the options py_webauthn's JSON.
WEBAUTHN_JSON = {"type": "object", "description": "WebAuthn JSON (W3C WebAuthn Level 3, toJSON())"}
FACTOR = obj({"id": ID, "name": {"type": "string"}, "created_at": {"type": "integer"},
              "last_used_at": {"type": ["integer", "null"]}, "transports": {"type": "array", "items": {"type": "string"}}})
CODES = {"type": "array", "items": {"type": "string"}, "description": "10 one-time codes, shown once"}
FACTOR_NAME = {"type": "string", "minLength": 1, "maxLength": 80}
PATHS.update({
    "/api/v1/auth/second-factor": {"post": op(
        "Give the second factor of a pending login: a credential or a recovery code; then logged in", public=True,
        request={"type": "object", "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
                 "properties": {"credential": WEBAUTHN_JSON, "recovery_code": {"type": "string", "maxLength": 40}}},
        response=ref("Session"))},
    "/api/v1/auth/second-factor/register-options": {"post": op(
        "Creation options for the first security key of a pending login with none registered", public=True,
        response=obj({"options": WEBAUTHN_JSON}))},
    "/api/v1/auth/second-factor/register": {"post": op(
        "Register the first security key of a pending login; then logged in, with recovery codes", public=True,
        request=obj({"name": FACTOR_NAME, "credential": WEBAUTHN_JSON}),
        response={"allOf": [ref("Session")], "properties": {"recovery_codes": CODES}})},
    "/api/v1/me/factors": {
        "get": op("This person's security keys, recovery codes left, whether a second factor is required",
                  response=obj({"factors": {"type": "array", "items": FACTOR},
                                "recovery_codes_left": {"type": "integer"}, "required": {"type": "boolean"}})),
        "post": op("Register a security key (after /me/factors/options); recovery codes when none were left",
                   request=obj({"name": FACTOR_NAME, "credential": WEBAUTHN_JSON}),
                   response=obj({"factor": FACTOR, "recovery_codes": CODES}, ["factor"]))},
    "/api/v1/me/factors/options": {"post": op("Creation options for a new security key",
                                              response=obj({"options": WEBAUTHN_JSON}))},
    "/api/v1/me/factors/{factor_id}": {"delete": op("Remove a security key (not the last one a policy requires)",
                                                    parameters=[path("factor_id")])},
    "/api/v1/me/recovery-codes": {"post": op("A new set of recovery codes; the old ones stop working",
                                             response=obj({"recovery_codes": CODES}))},
    "/api/v1/admin/people/{user_id}/factors/reset": {"post": op(
        "Delete a person's security keys and recovery codes and end their sessions (admin)",
        parameters=[path("user_id")])},
})


def status_only(operation: dict[str, Any], status: str, description: str) -> dict[str, Any]:
    """An operation that answers ``status`` (201, 204) instead of 200."""
    ok = operation["responses"].pop("200")
    operation["responses"][status] = dict(ok, description=description)
    return operation


for where, method, status in (("/api/v1/me/factors", "post", "201"), ("/api/v1/me/factors/{factor_id}", "delete", "204"),
                              ("/api/v1/admin/people/{user_id}/factors/reset", "post", "204")):
    status_only(PATHS[where][method], status, PATHS[where][method]["summary"])
SCHEMAS["TeamPolicy"]["properties"]["second_factor"] = {"type": "boolean"}
SCHEMAS["TeamPolicy"]["required"].append("second_factor")
SCHEMAS["Session"]["properties"]["second_factor"] = obj({"registered": {"type": "boolean"},
                                                         "options": {"oneOf": [WEBAUTHN_JSON, {"type": "null"}]}})
SCHEMAS["Session"]["required"] = ["csrf_token"]


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Carnet API", "version": "1",
                 "description": "Every state change needs the X-CSRF-Token header and a same-origin request. "
                                "Errors are problem details (RFC 9457). Formats of envelopes, keys and roster "
                                "entries: docs/PROTOCOL.md."},
        "servers": [{"url": "/"}],
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "__Host-carnet"}}},
        "security": [{"session": []}],
        "paths": PATHS,
    }
