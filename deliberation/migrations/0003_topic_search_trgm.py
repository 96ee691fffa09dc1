"""A trigram index for the topic search, on PostgreSQL only.

The topic list searches with `search_text__icontains`, which PostgreSQL runs as
`UPPER(search_text) LIKE UPPER('%…%')`. A GIN index with pg_trgm's operator class on
that very expression lets a search word of three characters or more use the index, and,
as an expression index, gives the planner statistics on `UPPER(search_text)`. Without
them it guesses that a word matches a handful of topics and joins the page's related
rows with nested loops that scan those tables again for every match (at 10,000 topics,
67 ms for a page of 20 instead of 1 ms; bench/README.md, `topic_list.py`). Words of two
characters (电梯, 停车) have no trigram and are still read from the table.

SQLite has neither the extension nor the need: its LIKE over 10,000 topics takes a few
milliseconds. Where pg_trgm is not installed, the search works as before, unindexed.
"""

from django.db import migrations

INDEX = "deliberation_topic_search_trgm"


def _available(schema_editor) -> bool:
    if schema_editor.connection.vendor != "postgresql":
        return False
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        return cursor.fetchone() is not None


def create_index(apps, schema_editor):
    if _available(schema_editor):
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON deliberation_topic "
            "USING gin (UPPER(search_text) gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    # The extension stays: other database objects may use it by then.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("deliberation", "0002_topics")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
