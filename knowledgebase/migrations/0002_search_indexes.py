"""The search indexes each database needs and the other cannot have: on PostgreSQL the pg_trgm extension,
a GIN index on the weighted tsvector and a trigram GiST index on the word list; on SQLite the
FTS5 table knowledgebase.search keeps in step with the articles."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

POSTGRES_FORWARD = [
    # articles_search: `search_vector @@ tsquery`.
    "CREATE INDEX IF NOT EXISTS kb_article_search_vector ON knowledgebase_article USING gin (search_vector)",
    # Typo correction: the words nearest a typed one, `ORDER BY word <-> 'refnud' LIMIT n` (GiST, unlike
    # GIN, answers nearest-first without a similarity threshold).
    "CREATE INDEX IF NOT EXISTS kb_term_word_trgm ON knowledgebase_term USING gist (word gist_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS kb_article_search_vector",
    "DROP INDEX IF EXISTS kb_term_word_trgm",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledgebase_article_fts USING fts5("
    "title, summary, body, tokenize = 'porter unicode61 remove_diacritics 2')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS knowledgebase_article_fts"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledgebase", "0001_initial")]

    operations = [
        TrigramExtension(),  # does nothing on databases other than PostgreSQL
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
