"""Blocks about the pre-queue draw for pages of other apps (the concert page, the waiting
room): `concerts` may not import `queueing`, but its templates may load these tags."""

from __future__ import annotations

from django import template

from concerts.selectors import concert_is_sale_open
from queueing import selectors

register = template.Library()


@register.inclusion_tag("queueing/_draw_commitment.html")
def draw_commitment_block(concert) -> dict:
    """The published commitment and a link to the draw page; nothing before the pre-queue
    opens (one query)."""
    return {
        "concert": concert,
        "publication": selectors.draw_publication(concert_id=concert.pk),
    }


@register.inclusion_tag("queueing/_draw_receipt.html", takes_context=True)
def draw_receipt_block(context, concert) -> dict:
    """The signed-in fan's receipt (entry id, commitment, place once drawn) (two queries).
    Before the sale opens the block is there, hidden, until the page's join has a receipt
    (draw-receipt.js asks the receipt API)."""
    user = context["request"].user
    receipt = (
        selectors.draw_receipt(user_id=user.pk, concert_id=concert.pk)
        if user.is_authenticated
        else None
    )
    return {
        "concert": concert,
        "receipt": receipt,
        "show_before_join": receipt is not None and not concert_is_sale_open(concert),
    }
