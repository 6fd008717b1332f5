"""JSON parsing that answers 400, never 500, for documents Python cannot parse."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSON parser; a document nested deeper than Python can recurse is a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # json.loads recurses once per nesting level
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
