from django import forms
from django.conf import settings


class WaitlistJoinForm(forms.Form):
    category = forms.IntegerField(min_value=1, label="Category")
    quantity = forms.IntegerField(min_value=1, label="How many tickets")

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        limit = settings.MAX_TICKETS_PER_BOOKING
        if quantity > limit:
            raise forms.ValidationError(f"Choose between 1 and {limit} tickets.")
        return quantity
