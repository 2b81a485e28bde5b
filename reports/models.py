from concerts.models import Concert


class SaleReport(Concert):
    """No table: the admin's "Sale reports" list (one per concert) hangs off this proxy."""

    class Meta:
        proxy = True
        verbose_name = "sale report"
        verbose_name_plural = "sale reports"
