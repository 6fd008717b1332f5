"""Search and ordering filters that refuse input they cannot apply with a 400 and a message."""

from django.core.exceptions import FieldError
from rest_framework import filters
from rest_framework.exceptions import ValidationError


class SearchFilter(filters.SearchFilter):
    """DRF's search; a NUL character is refused (DRF would drop it and list everything)."""

    def get_search_terms(self, request):
        if "\x00" in request.query_params.get(self.search_param, ""):
            raise ValidationError({self.search_param: ["NUL characters are not allowed."]})
        return super().get_search_terms(request)


class OrderingFilter(filters.OrderingFilter):
    """DRF's ordering; a field of the answer that is not a column (e.g. `key`) is a 400."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        try:
            return queryset.order_by(*ordering)  # Django resolves the names here
        except FieldError as exc:
            choices = ", ".join(self.orderable(queryset, view, request))
            raise ValidationError(
                {self.ordering_param: [f"Cannot order by {', '.join(ordering)}; use {choices}."]}
            ) from exc

    def orderable(self, queryset, view, request) -> list[str]:
        names = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        ok = []
        for name in names:
            try:
                queryset.order_by(name)
            except FieldError:
                continue
            ok.append(name)
        return ok
