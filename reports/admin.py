"""Sale reports in the admin: one per concert, as a page, JSON and CSV (thin: the figures
come from reports.selectors.sale_report)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from reports.models import SaleReport
from reports.presenters import admissions_chart
from reports.selectors import sale_report


@admin.register(SaleReport)
class SaleReportAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_at", "sale_starts_at", "report_links"]
    search_fields = ["name", "venue"]
    ordering = ["-sale_starts_at"]
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Whoever may see the concerts may see how their sales went.
        return request.user.has_perm("concerts.view_concert") or super().has_view_permission(
            request, obj
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.display(description="report")
    def report_links(self, concert) -> str:
        return format_html(
            '<a href="{}">Report</a> · <a href="{}">JSON</a> · <a href="{}">CSV</a>',
            reverse("admin:reports_sale_report", args=[concert.pk]),
            reverse("admin:reports_sale_report_json", args=[concert.pk]),
            reverse("admin:reports_sale_report_csv", args=[concert.pk]),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:concert_id>/report/", view(self.report_view), name="reports_sale_report"),
            path(
                "<int:concert_id>/report.json",
                view(self.report_json_view),
                name="reports_sale_report_json",
            ),
            path(
                "<int:concert_id>/report.csv",
                view(self.report_csv_view),
                name="reports_sale_report_csv",
            ),
            *super().get_urls(),
        ]

    def _figures(self, request: HttpRequest, concert_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        concert = get_object_or_404(SaleReport, pk=concert_id)
        return concert, sale_report(concert_id=concert.pk)

    def report_view(self, request: HttpRequest, concert_id: int) -> HttpResponse:
        concert, figures = self._figures(request, concert_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Sale report: {concert.name}",
            "opts": self.model._meta,
            "concert": concert,
            "figures": figures,
            "chart": admissions_chart(figures, timezone_name=concert.timezone),
            "json_url": reverse("admin:reports_sale_report_json", args=[concert.pk]),
            "csv_url": reverse("admin:reports_sale_report_csv", args=[concert.pk]),
        }
        return TemplateResponse(request, "reports/sale_report.html", context)

    def report_json_view(self, request: HttpRequest, concert_id: int) -> HttpResponse:
        concert, figures = self._figures(request, concert_id)
        response = JsonResponse(figures.as_dict(), json_dumps_params={"indent": 2})
        response["Content-Disposition"] = f'attachment; filename="{_filename(concert)}.json"'
        return response

    def report_csv_view(self, request: HttpRequest, concert_id: int) -> HttpResponse:
        concert, figures = self._figures(request, concert_id)
        response = HttpResponse(figures.as_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(concert)}.csv"'
        return response


def _filename(concert) -> str:
    return f"sale-report-{concert.slug}-{timezone.localtime():%Y%m%d-%H%M}"
