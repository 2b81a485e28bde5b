"""The pre-queue draw anyone can verify (queueing.draw, docs/draw.md): a commitment before,
random receipts, the HMAC-SHA256 ranking at sale start, the seed and order published after,
and verify_draw catching any change to them."""

import hashlib
import hmac
import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from queueing import draw, selectors, services
from queueing.models import Draw, QueueEntry
from tests.concurrency import returned_values, run_concurrently
from tests.factories import ConcertFactory

pytestmark = pytest.mark.django_db

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def join(fan, concert):
    return services.queue_join(user_id=fan.pk, concert=concert)


def after_sale_start(concert):
    return time_machine.travel(concert.sale_starts_at + timedelta(seconds=1), tick=False)


def _drawn_concert(concert, line, settings):
    """The pre-queue of `line` drawn at sale start, with everybody admitted at once."""
    settings.QUEUE_MAX_ACTIVE_USERS = 10_000
    settings.QUEUE_SEATS_PER_ADMISSION = 1  # 100 seats: room for everyone at once
    settings.QUEUE_ABANDON_SECONDS = 3600
    for fan in line:
        join(fan, concert)
    with after_sale_start(concert):
        return services.queue_admit_next(concert_id=concert.pk)


def _verify(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_draw", *map(str, args), stdout=out)
    return out.getvalue()


# --- The rule, as pure functions ---------------------------------------------------------
def test_the_order_is_the_ranking_of_hmac_sha256_of_the_entry_ids():
    seed = draw.new_seed()
    entries = [draw.new_entry_id() for _ in range(50)]

    def score(entry_id):  # written out again, as a fan would with hashlib and hmac alone
        return hmac.new(bytes.fromhex(seed), entry_id.encode(), hashlib.sha256).hexdigest()

    assert draw.draw_order(seed, entries) == sorted(entries, key=score)
    assert draw.commitment_of(seed) == hashlib.sha256(bytes.fromhex(seed)).hexdigest()
    assert (
        draw.verify_publication(
            commitment=draw.commitment_of(seed), seed=seed, entries=draw.draw_order(seed, entries)
        )
        == []
    )


def test_a_changed_seed_or_entry_list_changes_the_order_and_fails_verification():
    seed, other_seed = draw.new_seed(), draw.new_seed()
    entries = [draw.new_entry_id() for _ in range(30)]
    order = draw.draw_order(seed, entries)
    commitment = draw.commitment_of(seed)
    # Another seed ranks the same entries differently (equal with probability 1/30!).
    assert draw.draw_order(other_seed, entries) != order
    # Publishing another seed breaks the commitment, and its own order fails too.
    assert draw.verify_publication(commitment=commitment, seed=other_seed, entries=order)
    # An entry slipped in, one swapped or one moved: the order is no longer the ranking
    # (the slipped-in one still ranks somewhere, so publish it at the front to cheat).
    slipped_in = [draw.new_entry_id(), *order]
    if draw.draw_order(seed, slipped_in) == slipped_in:  # it happened to rank first
        slipped_in = [*order, slipped_in[0]]
    assert draw.verify_publication(commitment=commitment, seed=seed, entries=slipped_in)
    swapped = [order[1], order[0], *order[2:]]
    problems = draw.verify_publication(commitment=commitment, seed=seed, entries=swapped)
    assert problems == [f"place 1: published {order[1]}, but the HMAC ranking gives {order[0]}"]
    assert draw.verify_publication(commitment=commitment, seed=seed, entries=[*order, order[0]])
    assert draw.verify_publication(commitment=commitment, seed=None, entries=order)
    assert draw.verify_publication(commitment=commitment, seed="zz", entries=order)


# --- Receipts and the commitment ---------------------------------------------------------
def test_prequeue_fans_get_random_receipts_that_are_not_their_user_ids(upcoming_concert, fans):
    line = fans(20)
    for fan in line:
        join(fan, upcoming_concert)
    receipts = dict(QueueEntry.objects.values_list("user_id", "entry_id"))
    assert all(HEX32.match(entry_id) for entry_id in receipts.values())
    assert len(set(receipts.values())) == 20
    assert all(
        entry_id not in (str(user_id), f"{user_id:032x}") for user_id, entry_id in receipts.items()
    )
    # The same fan in another concert's pre-queue holds an unrelated receipt.
    other = ConcertFactory(sale_starts_at=upcoming_concert.sale_starts_at)
    join(line[1], other)
    assert QueueEntry.objects.get(user=line[1], concert=other).entry_id != receipts[line[1].pk]
    # Joining again keeps the place and the receipt; leaving and coming back gets a new one.
    first = line[0]
    join(first, upcoming_concert)
    assert QueueEntry.objects.get(user=first).entry_id == receipts[first.pk]
    services.queue_leave(user_id=first.pk, concert_id=upcoming_concert.pk)
    join(first, upcoming_concert)
    assert QueueEntry.objects.get(user=first).entry_id not in (None, receipts[first.pk])


def test_fans_joining_after_the_draw_get_no_receipt(concert, fans):
    (fan,) = fans(1)
    join(fan, concert)
    assert QueueEntry.objects.get(user=fan).entry_id is None


def test_the_commitment_is_made_once_and_published_before_the_seed(
    upcoming_concert, fans, api_client, client
):
    from queueing.tasks import admit_all_concerts

    assert selectors.draw_publication(concert_id=upcoming_concert.pk).commitment is None
    admit_all_concerts.delay().get()  # the beat tick commits as the pre-queue opens
    row = Draw.objects.get(concert=upcoming_concert)
    join(fans(1)[0], upcoming_concert)
    services.draw_commit(concert_id=upcoming_concert.pk)
    assert Draw.objects.get(concert=upcoming_concert).seed == row.seed  # made once
    assert row.commitment == draw.commitment_of(row.seed)

    body = api_client.get(f"/api/v1/queue/draw?concert_id={upcoming_concert.pk}").json()
    assert body == {
        "concert_id": upcoming_concert.pk,
        "algorithm": "HMAC-SHA256",
        "commitment": row.commitment,
        "seed": None,
        "drawn_at": None,
        "entries": [],
    }
    # The concert page and the draw page show the commitment, never the seed.
    for url in (
        upcoming_concert.get_absolute_url(),
        reverse("queueing:draw", args=[upcoming_concert.pk]),
    ):
        page = client.get(url).content.decode()
        assert row.commitment in page
        assert row.seed not in page


def test_the_draw_api_answers_404_for_an_unknown_concert_and_400_for_bad_input(api_client):
    assert api_client.get("/api/v1/queue/draw?concert_id=999999").status_code == 404
    response = api_client.get("/api/v1/queue/draw?concert_id=abc")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- The draw at sale start --------------------------------------------------------------
def test_the_prequeue_is_placed_in_the_published_hmac_order(upcoming_concert, fans, settings):
    line = fans(25)
    admitted = _drawn_concert(upcoming_concert, line, settings)
    row = Draw.objects.get(concert=upcoming_concert)
    assert row.drawn_at is not None
    receipts = dict(QueueEntry.objects.values_list("user_id", "entry_id"))
    assert row.entries == draw.draw_order(row.seed, receipts.values())
    # The turnstile admitted them in exactly the published order.
    assert [receipts[user_id] for user_id in admitted] == row.entries
    publication = selectors.draw_publication(concert_id=upcoming_concert.pk)
    assert publication.seed == row.seed
    assert publication.entries == row.entries
    assert (
        draw.verify_publication(
            commitment=publication.commitment, seed=publication.seed, entries=publication.entries
        )
        == []
    )


def test_a_pre_queue_bigger_than_one_batch_is_drawn_whole(upcoming_concert, fans, settings):
    line = fans(services._BATCH + 20)
    settings.QUEUE_MAX_ACTIVE_USERS = 0
    settings.QUEUE_ABANDON_SECONDS = 3600
    for fan in line:
        join(fan, upcoming_concert)
    with after_sale_start(upcoming_concert):
        services.queue_admit_next(concert_id=upcoming_concert.pk)
    assert len(Draw.objects.get(concert=upcoming_concert).entries) == len(line)
    assert "OK" in _verify(upcoming_concert.pk)


def test_a_fan_who_left_before_the_draw_is_not_in_it(upcoming_concert, fans, settings):
    line = fans(4)
    for fan in line:
        join(fan, upcoming_concert)
    services.queue_leave(user_id=line[0].pk, concert_id=upcoming_concert.pk)
    gone = QueueEntry.objects.get(user=line[0]).entry_id
    _drawn_concert(upcoming_concert, [], settings)
    entries = Draw.objects.get(concert=upcoming_concert).entries
    assert len(entries) == 3
    assert gone not in entries


def test_an_empty_prequeue_still_reveals_its_seed(upcoming_concert, settings):
    services.draw_commit(concert_id=upcoming_concert.pk)
    _drawn_concert(upcoming_concert, [], settings)
    publication = selectors.draw_publication(concert_id=upcoming_concert.pk)
    assert publication.drawn_at is not None
    assert publication.seed is not None
    assert publication.entries == []
    assert "OK" in _verify(upcoming_concert.pk)


def test_the_draw_waits_a_tick_for_a_join_still_writing_its_receipt(
    upcoming_concert, fans, settings
):
    settings.QUEUE_ABANDON_SECONDS = 3600
    settings.QUEUE_MAX_ACTIVE_USERS = 0
    line = fans(3)
    sale = upcoming_concert.sale_starts_at
    with time_machine.travel(sale - timedelta(milliseconds=5), tick=False):
        for fan in line:
            join(fan, upcoming_concert)
    # The last join's record is not written yet at the moment of the first tick.
    QueueEntry.objects.filter(user=line[2]).delete()
    with time_machine.travel(sale + timedelta(seconds=1), tick=False):
        services.queue_admit_next(concert_id=upcoming_concert.pk)
    assert Draw.objects.get(concert=upcoming_concert).drawn_at is None
    # Past the grace a fan with no record at all goes without a receipt, behind the draw.
    with time_machine.travel(sale + timedelta(seconds=10), tick=False):
        services.queue_admit_next(concert_id=upcoming_concert.pk)
        services.queue_admit_next(concert_id=upcoming_concert.pk)
    row = Draw.objects.get(concert=upcoming_concert)
    assert len(row.entries) == 2
    assert services.queue_status(user_id=line[2].pk, concert_id=upcoming_concert.pk).position == 3


def test_a_receipt_shows_the_fans_place_once_drawn(upcoming_concert, fans, settings, auth_client):
    fan = auth_client.user
    others = fans(5)
    url = f"/api/v1/queue/receipt?concert_id={upcoming_concert.pk}"
    join(fan, upcoming_concert)
    before = auth_client.get(url).json()
    entry_id = QueueEntry.objects.get(user=fan).entry_id
    assert before == {
        "concert_id": upcoming_concert.pk,
        "entry_id": entry_id,
        "commitment": Draw.objects.get(concert=upcoming_concert).commitment,
        "drawn": False,
        "draw_rank": None,
    }
    _drawn_concert(upcoming_concert, others, settings)
    after = auth_client.get(url).json()
    entries = Draw.objects.get(concert=upcoming_concert).entries
    assert after["drawn"] is True
    assert after["draw_rank"] == entries.index(entry_id) + 1
    assert APIClientUnauthenticated().get(url).status_code == 401


def APIClientUnauthenticated():  # noqa: N802 (reads as a constructor at the call site)
    from rest_framework.test import APIClient

    return APIClient()


def test_the_pages_show_the_receipt_and_the_fans_place(upcoming_concert, settings, client, user):
    client.force_login(user)
    join(user, upcoming_concert)
    entry_id = QueueEntry.objects.get(user=user).entry_id
    room = client.get(reverse("queueing:room", args=[upcoming_concert.pk])).content.decode()
    assert entry_id in room
    assert "Your draw receipt" in room
    _drawn_concert(upcoming_concert, [], settings)
    page = client.get(reverse("queueing:draw", args=[upcoming_concert.pk]), {"entry": entry_id})
    text = page.content.decode()
    row = Draw.objects.get(concert=upcoming_concert)
    assert row.seed in text
    assert f"Entry {entry_id} is at place 1 of 1." in text
    assert "does not verify" not in text


def test_the_draw_page_says_when_a_draw_does_not_verify(
    upcoming_concert, fans, settings, client, monkeypatch
):
    from queueing import views

    _drawn_concert(upcoming_concert, fans(3), settings)
    url = reverse("queueing:draw", args=[upcoming_concert.pk])
    assert "does not verify" not in client.get(url).content.decode()
    row = Draw.objects.get(concert=upcoming_concert)
    Draw.objects.filter(pk=row.pk).update(entries=list(reversed(row.entries)))
    assert "This draw does not verify" in client.get(url).content.decode()
    monkeypatch.setattr(views, "DRAW_PAGE_MAX_LISTED", 2)
    page = client.get(url, {"entry": row.entries[0]}).content.decode()
    assert "The list is too long to show here" in page
    assert f"Entry {row.entries[0]} is at place 3 of 3." in page


# --- verify_draw -------------------------------------------------------------------------
def test_verify_draw_passes_on_a_real_drawn_queue(upcoming_concert, fans, settings, tmp_path):
    _drawn_concert(upcoming_concert, fans(12), settings)
    row = Draw.objects.get(concert=upcoming_concert)
    out = _verify(upcoming_concert.pk, "--entry", row.entries[4], "--commitment", row.commitment)
    assert "OK" in out
    assert f"Entry {row.entries[4]}: place 5 of 12." in out
    saved = tmp_path / "draw.json"
    saved.write_text(
        json.dumps(selectors.draw_publication(concert_id=upcoming_concert.pk).as_json())
    )
    assert "OK" in _verify(upcoming_concert.pk, "--file", saved)


@pytest.mark.parametrize("tamper", ["seed", "swap", "extra", "commitment"])
def test_verify_draw_fails_when_the_published_draw_is_changed(
    upcoming_concert, fans, settings, tmp_path, tamper
):
    _drawn_concert(upcoming_concert, fans(8), settings)
    published = selectors.draw_publication(concert_id=upcoming_concert.pk).as_json()
    if tamper == "seed":
        published["seed"] = draw.new_seed()
    elif tamper == "swap":
        entries = published["entries"]
        entries[2], entries[5] = entries[5], entries[2]
    elif tamper == "extra":
        published["entries"].insert(0, draw.new_entry_id())
        if draw.draw_order(published["seed"], published["entries"]) == published["entries"]:
            published["entries"].append(published["entries"].pop(0))
    else:
        published["commitment"] = draw.commitment_of(draw.new_seed())
    saved = tmp_path / "draw.json"
    saved.write_text(json.dumps(published))
    with pytest.raises(CommandError, match="does NOT verify"):
        _verify(upcoming_concert.pk, "--file", saved)


def test_verify_draw_fails_when_the_database_draw_or_the_line_is_changed(
    upcoming_concert, fans, settings
):
    line = fans(6)
    settings.QUEUE_MAX_ACTIVE_USERS = 0  # nobody admitted: the line keeps its drawn places
    settings.QUEUE_ABANDON_SECONDS = 3600
    for fan in line:
        join(fan, upcoming_concert)
    with after_sale_start(upcoming_concert):
        services.queue_admit_next(concert_id=upcoming_concert.pk)
    assert "OK" in _verify(upcoming_concert.pk)

    # Someone moves a fan in the recorded line: the line no longer follows the draw.
    first, second = QueueEntry.objects.filter(sequence__lt=0).order_by("sequence")[:2]
    QueueEntry.objects.filter(pk=first.pk).update(sequence=second.sequence)
    QueueEntry.objects.filter(pk=second.pk).update(sequence=first.sequence)
    with pytest.raises(CommandError, match="drawn place 1"):
        _verify(upcoming_concert.pk)
    QueueEntry.objects.filter(pk=first.pk).update(sequence=first.sequence)
    QueueEntry.objects.filter(pk=second.pk).update(sequence=second.sequence)

    # Someone changes the stored seed after the fact: the commitment no longer matches.
    row = Draw.objects.get(concert=upcoming_concert)
    Draw.objects.filter(pk=row.pk).update(seed=draw.new_seed())
    with pytest.raises(CommandError, match="the commitment is"):
        _verify(upcoming_concert.pk)


def test_verify_draw_refuses_a_draw_not_yet_made(upcoming_concert, fans):
    join(fans(1)[0], upcoming_concert)
    with pytest.raises(CommandError, match="not published yet"):
        _verify(upcoming_concert.pk)
    with pytest.raises(CommandError, match="has no draw"):
        _verify(upcoming_concert.pk + 1000)


def test_draw_summary_for_the_report(upcoming_concert, fans, settings):
    assert selectors.draw_summary(upcoming_concert.pk) is None
    line = fans(3)
    for fan in line:
        join(fan, upcoming_concert)
    summary = selectors.draw_summary(upcoming_concert.pk)
    assert summary["seed"] is None
    assert summary["prequeue_size"] == 3
    _drawn_concert(upcoming_concert, [], settings)
    summary = selectors.draw_summary(upcoming_concert.pk)
    row = Draw.objects.get(concert=upcoming_concert)
    assert summary == {
        "commitment": row.commitment,
        "seed": row.seed,
        "drawn_at": row.drawn_at,
        "entries": 3,
        "prequeue_size": 3,
    }


def test_the_admin_hides_the_seed_until_the_draw(upcoming_concert, fans, settings, admin_client):
    join(fans(1)[0], upcoming_concert)
    row = Draw.objects.get(concert=upcoming_concert)
    url = reverse("admin:queueing_draw_change", args=[upcoming_concert.pk])
    page = admin_client.get(url).content.decode()
    assert row.commitment in page
    assert row.seed not in page
    _drawn_concert(upcoming_concert, [], settings)
    assert row.seed in admin_client.get(url).content.decode()
    assert admin_client.get(reverse("admin:queueing_draw_changelist")).status_code == 200


def _all_ticks_read_the_prequeue_first(monkeypatch, ticks: int) -> None:
    """Force the worst interleaving: every tick reads the pre-queue before any places it."""
    import threading

    from queueing import redis_queue

    barrier = threading.Barrier(ticks, timeout=20)
    real_read = redis_queue.prequeue_to_draw

    def read_then_wait(*args, **kwargs):
        prequeue = real_read(*args, **kwargs)
        barrier.wait()
        return prequeue

    monkeypatch.setattr(redis_queue, "prequeue_to_draw", read_then_wait)


# --- Races: PostgreSQL and real Redis ----------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_at_sale_start_publish_one_draw_and_place_everyone_once(
    upcoming_concert, fans, settings, monkeypatch
):
    settings.QUEUE_MAX_ACTIVE_USERS = 0  # keep everyone in the line to read their places
    settings.QUEUE_ABANDON_SECONDS = 3600
    line = fans(60)
    for fan in line:
        join(fan, upcoming_concert)
    publishes = []
    real_publish = services._draw_publish

    def spy(**kwargs):
        won = real_publish(**kwargs)
        publishes.append(won)
        return won

    monkeypatch.setattr(services, "_draw_publish", spy)
    _all_ticks_read_the_prequeue_first(monkeypatch, 8)
    with after_sale_start(upcoming_concert):
        returned_values(
            run_concurrently(
                lambda _: services.queue_admit_next(concert_id=upcoming_concert.pk), range(8)
            )
        )
    assert sorted(publishes) == [False] * 7 + [True]  # all 8 tried to publish; one did
    row = Draw.objects.get(concert=upcoming_concert)
    assert len(row.entries) == 60
    sequences = sorted(
        QueueEntry.objects.filter(concert=upcoming_concert).values_list("sequence", flat=True)
    )
    assert sequences == list(range(-60, 0))  # everyone placed, once, ahead of the line
    assert "OK" in _verify(upcoming_concert.pk)


def test_the_python_snippet_in_the_docs_verifies_a_real_draw(
    upcoming_concert, fans, settings, tmp_path, monkeypatch
):
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "draw.md").read_text()
    snippet = docs.split("```python\n", 1)[1].split("```", 1)[0]
    # ten lines of code (ruff formats the docs' code blocks: blank lines between blocks)
    assert len([line for line in snippet.splitlines() if line.strip()]) <= 10
    _drawn_concert(upcoming_concert, fans(7), settings)
    published = selectors.draw_publication(concert_id=upcoming_concert.pk).as_json()
    (tmp_path / "draw.json").write_text(json.dumps(published))
    monkeypatch.chdir(tmp_path)
    printed = []
    mine = published["entries"][3]
    namespace = {"input": lambda _prompt: mine, "print": lambda *args: printed.append(args)}
    exec(snippet, namespace)  # noqa: S102 (our own documentation's code)
    assert printed == [("OK:", 7, "entries; my place:", 4)]
    published["entries"].reverse()
    (tmp_path / "draw.json").write_text(json.dumps(published))
    with pytest.raises(AssertionError, match="not the HMAC ranking"):
        exec(snippet, namespace)  # noqa: S102


@pytest.mark.postgres
@pytest.mark.control
@pytest.mark.django_db(transaction=True)
def test_control_without_the_conditional_update_concurrent_ticks_each_publish(
    upcoming_concert, fans, settings, monkeypatch
):
    """The same race with the publication's `WHERE drawn_at IS NULL` removed: several ticks
    publish (each overwriting the last), which the protected version never does."""
    settings.QUEUE_MAX_ACTIVE_USERS = 0
    settings.QUEUE_ABANDON_SECONDS = 3600
    for fan in fans(20):
        join(fan, upcoming_concert)
    publishes = []

    def unconditional(*, concert_id, now, entries):
        won = Draw.objects.filter(concert_id=concert_id).update(drawn_at=now, entries=entries)
        publishes.append(won == 1)
        return won == 1

    monkeypatch.setattr(services, "_draw_publish", unconditional)
    _all_ticks_read_the_prequeue_first(monkeypatch, 8)
    with after_sale_start(upcoming_concert):
        returned_values(
            run_concurrently(
                lambda _: services.queue_admit_next(concert_id=upcoming_concert.pk), range(8)
            )
        )
    assert publishes.count(True) == 8
