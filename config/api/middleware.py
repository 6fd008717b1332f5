"""Refuse request bodies over `API_MAX_BODY_BYTES` before anything reads them."""

from django.conf import settings
from django.http import JsonResponse


class RequestBodyLimitMiddleware:
    """Answer 413 (JSON) when Content-Length exceeds the limit; 400 when it is not a number.

    Django's own DATA_UPLOAD_MAX_MEMORY_SIZE check raises RequestDataTooBig, which becomes a
    400, and only when `request.body` is read; DRF parsers read the stream and skip it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.API_MAX_BODY_BYTES

    def __call__(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        if length > self.limit:
            return JsonResponse(
                {"detail": f"Request body too large; the limit is {self.limit} bytes."},
                status=413,
            )
        return self.get_response(request)


class JsonNotFoundMiddleware:
    """Answer JSON for a 404 that Django would render as HTML (DEBUG's technical 404 page).

    Without DEBUG, `handler404` (config.views) is JSON already; with DEBUG, Django renders
    unmatched paths (unknown URLs, ids that are not UUIDs) as an HTML page instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and response.get("Content-Type", "").startswith("text/html"):
            return JsonResponse({"detail": "Not found."}, status=404)
        return response
