"""One error shape for the API, `{"error": {"code", "message"}}`, and never a traceback."""

from __future__ import annotations

from typing import NamedTuple

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from search.store import StoreDamaged, StoreError, StoreMissing, StoreUnavailable
from web.params import BadRequest


class Unavailable(NamedTuple):
    """What a reader is told when the index cannot answer: what happened and what to run, in
    English (API) and Bangla (page), never a server path or an exception's text (the log has
    those)."""

    code: str
    status: str  # /healthz "status"
    message: str
    bangla: str


UNAVAILABLE = {
    StoreDamaged: Unavailable(
        "index_damaged",
        "damaged",
        "The search index is damaged: run `sandhan index verify` to list the damaged files, "
        "then `sandhan index rebuild` to build it again.",
        "আর্কাইভের সূচির (index) কিছু ফাইল নষ্ট হয়ে গেছে, তাই এখন খোঁজা যাচ্ছে না।",
    ),
    StoreMissing: Unavailable(
        "index_unavailable",
        "unavailable",
        "No search index has been built yet: build one with `sandhan index rebuild --source DIR`.",
        "আর্কাইভের সূচি (index) এখনো তৈরি হয়নি।",
    ),
    StoreUnavailable: Unavailable(
        "index_unavailable",
        "unavailable",
        "The search index cannot be used (it is incomplete, another version of Sandhan built it, "
        "or its cluster cannot be reached): see `sandhan index stats`, and rebuild it with "
        "`sandhan index rebuild`.",
        "আর্কাইভের সূচিটি (index) এখন ব্যবহার করা যাচ্ছে না।",
    ),
}


ECHOED_CHARS = 40  # of a value a request sent, at most this many come back in a message


def echoed(value: str) -> str:
    """`value` as a message repeats it: its first ECHOED_CHARS characters, and … when it was cut."""
    return value if len(value) <= ECHOED_CHARS else value[:ECHOED_CHARS] + "…"


def unavailable(exc: StoreError) -> Unavailable:
    """The answer for the most specific kind of `exc` in UNAVAILABLE."""
    return next(
        (UNAVAILABLE[kind] for kind in type(exc).__mro__ if kind in UNAVAILABLE),
        UNAVAILABLE[StoreUnavailable],
    )


def error_response(status: int, code: str, message: str, **extra):
    body = {"error": {"code": code, "message": message, **extra}}
    return jsonify(body), status


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/openapi.json")


def register(app: Flask) -> None:
    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest):
        if _wants_json():
            return error_response(400, exc.code, exc.message, parameter=exc.field)
        raise exc  # pages render their own form errors; reaching here is a bug

    @app.errorhandler(StoreError)
    def index_unavailable(exc: StoreError):
        app.logger.error("index unavailable: %s", exc)  # the operator's message, paths and all
        said = unavailable(exc)
        if request.path == "/healthz":  # the health answer's shape, with the error's
            error = {"code": said.code, "message": said.message}
            return jsonify({"status": said.status, "error": error}), 503
        if _wants_json():
            return error_response(503, said.code, said.message)
        from flask import render_template

        return render_template("error.html", status=503, message=f"{said.bangla} {said.message}"), 503

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # The exception's own headers go along: a 405's Allow, for one (RFC 9110).
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            body, status = error_response(
                exc.code or 500, exc.name.lower().replace(" ", "_"), exc.description or exc.name
            )
            return body, status, headers
        from flask import render_template

        return render_template("error.html", status=exc.code, message=exc.description), exc.code, headers

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unexpected error on %s", request.path)
        if _wants_json():
            return error_response(500, "internal_error", "Something went wrong on our side.")
        from flask import render_template

        return render_template("error.html", status=500, message="কিছু একটা ভুল হয়েছে।"), 500
