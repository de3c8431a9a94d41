from logbook.context import correlation


class CorrelationMiddleware:
    """Every request is one operator action: one correlation id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with correlation(request.headers.get("X-Correlation-Id") or None) as value:
            request.correlation_id = value
            return self.get_response(request)
