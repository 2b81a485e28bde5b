from django import forms
from django.template.defaultfilters import pluralize

from bookings.selectors import QuantityLimits


class SelectSeatsForm(forms.Form):
    """Category and quantity for a hold; the service re-checks every rule."""

    category = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Ticket category")
    quantity = forms.TypedChoiceField(coerce=int, label="Number of tickets")

    def __init__(self, *args, limits: QuantityLimits, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits_by_category = {
            category.pk: (category, most) for category, most in limits.per_category if most
        }
        self.fields["category"].choices = [
            (category.pk, category.name) for category, _most in self.limits_by_category.values()
        ]
        self.fields["quantity"].choices = [(n, str(n)) for n in range(1, limits.most + 1)]
        self.fields["quantity"].initial = 1 if limits.most else None

    def clean(self):
        cleaned = super().clean()
        category_id, quantity = cleaned.get("category"), cleaned.get("quantity")
        if category_id in self.limits_by_category and quantity:
            category, most = self.limits_by_category[category_id]
            if quantity > most:
                self.add_error(
                    "quantity",
                    f"Not enough seats for {quantity} in {category.name}: you can take at most "
                    f"{most} ticket{pluralize(most)} there now.",
                )
        return cleaned


class CheckinForm(forms.Form):
    code = forms.CharField(
        max_length=200,
        label="Ticket code",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
                "class": "code",
            }
        ),
    )


class DoorForm(forms.Form):
    """Which concert (and, optionally, which entrance) this check-in device serves."""

    concert = forms.TypedChoiceField(coerce=int, label="Concert")
    door = forms.CharField(
        max_length=40,
        required=False,
        label="Door or entrance (optional)",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. North gate"}),
    )

    def __init__(self, *args, concerts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["concert"].choices = [
            (concert.pk, f"{concert.name} · {concert.venue} · {concert.starts_at:%d %b %H:%M}")
            for concert in concerts
        ]
