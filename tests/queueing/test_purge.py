from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from queueing import redis_queue, services
from queueing.models import QueueEntry
from queueing.tasks import purge_finished_queues
from tests.factories import ConcertFactory, TicketCategoryFactory

pytestmark = pytest.mark.django_db


def test_a_played_concert_loses_its_redis_data_and_open_entries(
    concert, fans, redis_client, settings
):
    later_concert = ConcertFactory(starts_at=concert.starts_at + timedelta(days=30))
    TicketCategoryFactory(concert=later_concert)
    waiting, admitted = fans(2)
    for fan in (admitted, waiting):
        services.queue_join(user_id=fan.pk, concert=concert)
    services.queue_join(user_id=waiting.pk, concert=later_concert)
    settings.QUEUE_MAX_ACTIVE_USERS = 1
    services.queue_admit_next(concert_id=concert.pk)

    with time_machine.travel(concert.starts_at + timedelta(days=1, minutes=1), tick=False):
        assert purge_finished_queues() == 1

    assert not redis_client.exists(*redis_queue.concert_keys(concert.pk).all())
    assert set(QueueEntry.objects.filter(concert=concert).values_list("status", flat=True)) == {
        QueueEntry.Status.EXPIRED
    }
    # a concert still to come keeps its line
    later_state = services.queue_status(user_id=waiting.pk, concert_id=later_concert.pk)
    assert later_state.position == 1
    assert QueueEntry.objects.get(concert=later_concert).status == QueueEntry.Status.WAITING


def test_a_concert_played_less_than_a_day_ago_is_left_alone(concert, fans, redis_client):
    [fan] = fans(1)
    services.queue_join(user_id=fan.pk, concert=concert)
    with time_machine.travel(concert.starts_at + timedelta(hours=2), tick=False):
        assert services.queue_purge_finished(now=timezone.now()) == []
    assert redis_client.exists(redis_queue.concert_keys(concert.pk).waiting)
