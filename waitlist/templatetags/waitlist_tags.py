"""Lets pages of other apps (My tickets) show the fan's live waiting-list entries without
those apps importing this one."""

from django import template

from waitlist import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def waitlist_live_entries(context) -> list:
    user = context["request"].user
    if not user.is_authenticated:
        return []
    return selectors.waitlist_entries_of_fan(user=user, live_only=True)
