from django import forms
from django.conf import settings


class SelectSeatsForm(forms.Form):
    """Category and quantity for a hold; the service re-checks every rule."""

    category = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Ticket category")
    quantity = forms.TypedChoiceField(coerce=int, label="Number of tickets")

    def __init__(self, *args, concert, allowance: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            (category.pk, category.name)
            for category in concert.categories.all()
            if category.available_seats > 0
        ]
        most = max(0, min(settings.MAX_TICKETS_PER_BOOKING, allowance))
        self.fields["quantity"].choices = [(n, str(n)) for n in range(1, most + 1)]
        self.fields["quantity"].initial = 1 if most else None


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
