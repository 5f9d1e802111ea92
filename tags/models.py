from django.db import models
from django.utils import timezone


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # How many articles carry the tag; kept by tags.services in the linking transaction.
    articles_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["-articles_count", "name"], name="tag_most_used")]

    def __str__(self) -> str:
        return self.name
