"""One error shape for the API, `{"error": {"code", "message"}}`, and never a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from search.index import IndexError_
from search.service import BadRequest


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

    @app.errorhandler(IndexError_)
    def index_unavailable(exc: IndexError_):
        app.logger.error("index unavailable: %s", exc)
        if _wants_json():
            return error_response(503, "index_unavailable", str(exc))
        from flask import render_template

        return render_template("error.html", status=503, message=str(exc)), 503

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
