from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from estatedesk.common.pagination import CappedPaginator


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CappedPagination(StandardPagination):
    """For lists that may hold a million rows (ADR 0009): `count` stops at 10,000 and `count_capped` says
    there are more. Counting every row a company-wide user sees took longer than the page itself."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        paginator = self.page.paginator if self.page is not None else None
        response.data["count_capped"] = isinstance(paginator, CappedPaginator) and paginator.is_capped
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["properties"]["count"]["description"] = "Number of items, at most 10,000"
        result["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "There are more items than `count`: narrow the filters",
        }
        result["required"] = [*result.get("required", []), "count_capped"]
        return result
