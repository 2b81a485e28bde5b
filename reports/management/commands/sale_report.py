"""`python manage.py sale_report CONCERT_ID [--format text|json|csv]`: the staff report
of one concert's sale, as the admin shows it."""

import json

from django.core.management.base import BaseCommand, CommandError

from concerts.models import Concert
from reports.selectors import sale_report


class Command(BaseCommand):
    help = "Print the report of a concert's sale (text, JSON or CSV)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("concert_id", type=int)
        parser.add_argument("--format", choices=["text", "json", "csv"], default="text")

    def handle(self, *args, concert_id: int, format: str, **options) -> None:
        try:
            figures = sale_report(concert_id=concert_id)
        except Concert.DoesNotExist as missing:
            raise CommandError(f"No concert with id {concert_id}.") from missing
        if format == "json":
            self.stdout.write(json.dumps(figures.as_dict(), indent=2))
            return
        if format == "csv":
            self.stdout.write(figures.as_csv(), ending="")
            return
        self.stdout.write(text_report(figures))


def text_report(figures) -> str:
    body = figures.as_dict()
    lines = [f"Sale report: {figures.concert_name} (concert {figures.concert_id})"]
    for key, value in body.items():
        if key in ("per_minute", "concert_name", "concert_id"):
            continue
        if isinstance(value, dict):
            lines.append(f"  {key}:")
            lines.extend(f"    {inner}: {inner_value}" for inner, inner_value in value.items())
        else:
            lines.append(f"  {key}: {value}")
    lines.append("  admissions / purchases per minute:")
    for row in body["per_minute"]:
        bar = "#" * min(row["admitted"], 60)
        lines.append(
            f"    {row['minute'][11:16]}  {row['admitted']:>5} {row['purchases']:>5}  {bar}"
        )
    return "\n".join(lines)
