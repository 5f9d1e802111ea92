from django.db import models
from django.utils import timezone


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # How many articles carry the tag; kept by tags.services in the linking transaction.
    # Deliberately not indexed: an index on it makes every new article's update of its tags'
    # counts write a new row version into every index of the table and leave the old one
    # for VACUUM (PostgreSQL updates in place, "HOT", only when no indexed column changes).
    # With one hot tag, 8 clients of POST /articles left 30,000 dead rows in 20 s and ran
    # at 0.125-0.141 of the floor against 0.140-0.151 without it; the list of tags in use
    # sorts the tags instead (once per renewal: tags.selectors.tag_names_in_use).
    articles_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
