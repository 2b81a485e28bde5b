"""Check a concert's published pre-queue draw (docs/draw.md).

From the database: sha256(seed) == commitment, the published order is the HMAC-SHA256
ranking of the published entry ids, and the waiting room placed the drawn fans in that
order (their QueueEntry.sequence). From a file saved from GET /api/v1/queue/draw
(--file): the first two checks, offline. Exits non-zero and says what differs on failure.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from queueing import draw, selectors
from queueing.models import QueueEntry


class Command(BaseCommand):
    help = "Recompute a concert's published pre-queue draw and check it."

    def add_arguments(self, parser):
        parser.add_argument("concert_id", type=int)
        parser.add_argument(
            "--file", type=Path, help="A JSON file saved from GET /api/v1/queue/draw."
        )
        parser.add_argument(
            "--commitment", help="The commitment you saw before the sale, to compare too."
        )
        parser.add_argument("--entry", help="Print this entry id's place in the draw.")

    def handle(self, *args, concert_id: int, file: Path | None, **options):
        if file is not None:
            commitment, seed, entries = self._from_file(file, concert_id)
        else:
            publication = selectors.draw_publication(concert_id=concert_id)
            if publication.commitment is None:
                raise CommandError(f"Concert {concert_id} has no draw.")
            commitment, seed, entries = (
                publication.commitment,
                publication.seed,
                publication.entries,
            )
        problems = draw.verify_publication(commitment=commitment, seed=seed, entries=entries)
        expected_commitment = options.get("commitment")
        if expected_commitment and expected_commitment.strip().lower() != commitment.lower():
            problems.append(
                f"the published commitment {commitment} is not the one you saw, "
                f"{expected_commitment}"
            )
        if file is None and not problems:
            problems += self._recorded_order_problems(concert_id, entries)
        if problems:
            raise CommandError(
                f"The draw of concert {concert_id} does NOT verify:\n- " + "\n- ".join(problems)
            )
        where = f"from {file}" if file else "from the database"
        self.stdout.write(
            self.style.SUCCESS(
                f"OK: the draw of concert {concert_id} ({where}) verifies: sha256(seed) is the "
                f"commitment {commitment}, and the {len(entries)} entries are in "
                f"{draw.ALGORITHM} order"
                + ("; the waiting room placed them in that order." if file is None else ".")
            )
        )
        if options.get("entry"):
            wanted = options["entry"].strip().lower()
            if wanted in entries:
                self.stdout.write(
                    f"Entry {wanted}: place {entries.index(wanted) + 1} of {len(entries)}."
                )
            else:
                raise CommandError(f"Entry {wanted} is not in the draw.")

    def _from_file(self, file: Path, concert_id: int) -> tuple[str, str | None, list[str]]:
        try:
            published = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        if not isinstance(published, dict) or not isinstance(published.get("entries"), list):
            raise CommandError(f"{file} is not a draw saved from GET /api/v1/queue/draw.")
        if published.get("concert_id") not in (None, concert_id):
            raise CommandError(f"{file} is the draw of concert {published['concert_id']}.")
        return str(published.get("commitment")), published.get("seed"), published["entries"]

    def _recorded_order_problems(self, concert_id: int, entries: list[str]) -> list[str]:
        """The drawn places (negative sequences) in the database follow the published order,
        and nobody else holds one."""
        drawn_places = list(
            QueueEntry.objects.filter(concert_id=concert_id, sequence__lt=0)
            .order_by("sequence")
            .values_list("entry_id", flat=True)
        )
        published = set(entries)
        strangers = [entry_id for entry_id in drawn_places if entry_id not in published]
        if strangers:
            return [f"{len(strangers)} place(s) ahead of the line are not in the published draw"]
        recorded = set(drawn_places)
        expected = [entry_id for entry_id in entries if entry_id in recorded]
        for place, (got, want) in enumerate(zip(drawn_places, expected, strict=True), 1):
            if got != want:
                return [f"the line's drawn place {place} holds {got}, the draw says {want}"]
        return []
