"""Sort the `tag_list` of articles written before tag lists were stored sorted (and number
their tag links to match), so that every article serves its `tagList` in name order."""

from django.db import migrations

BATCH = 1000


def sort_tag_lists(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    ArticleTag = apps.get_model("articles", "ArticleTag")
    unsorted = []
    for article in Article.objects.only("pk", "tag_list").iterator(chunk_size=BATCH):
        names = sorted(set(article.tag_list))
        if names != article.tag_list:
            article.tag_list = names
            unsorted.append(article)
    for start in range(0, len(unsorted), BATCH):
        batch = unsorted[start : start + BATCH]
        Article.objects.bulk_update(batch, ["tag_list"])
        place = {
            (article.pk, name): position
            for article in batch
            for position, name in enumerate(article.tag_list)
        }
        links = list(
            ArticleTag.objects.filter(article__in=[article.pk for article in batch]).select_related(
                "tag"
            )
        )
        for link in links:
            link.position = place.get((link.article_id, link.tag.name), link.position)
        ArticleTag.objects.bulk_update(links, ["position"])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0004_tag_list"),
    ]

    operations = [
        migrations.RunPython(sort_tag_lists, migrations.RunPython.noop),
    ]
