"""DRF's parsers with our limits (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).

A module of its own: DRF imports it while building APIView, so it must not import
rest_framework.views (config.api does).
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers

from config.jsonbody import json_decode, read_limited


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with json_decode's size and depth limits (DEFAULT_PARSER_CLASSES)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        if stream is None:
            return {}
        return json_decode(read_limited(stream))
