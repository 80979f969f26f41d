"""Full-text search structures that live outside the SQLAlchemy models.

SQLite gets an FTS5 table kept in sync by triggers; PostgreSQL a stored Dutch tsvector column
with a GIN index (migration 0015; before it, the index was on the expression). Both index only
the masked text, so a search never matches on personal data. Alembic's autogenerate must leave
them alone: `include_in_autogenerate` says which.
"""

from __future__ import annotations

from typing import Any

SQLITE_FTS_TABLE = "question_fts"
POSTGRES_SEARCH_INDEX = "ix_question_search"
# The column a search matches against. Stored, because PostgreSQL often answers a search by
# walking the newest-first index and testing each row (a common word, or a table it has not
# analysed yet): with only an expression index every tested row cost a Dutch stemming pass
# (11 µs each; a search 18 ms on 1,500 questions), with the stored column it is a lookup.
POSTGRES_SEARCH_DOCUMENT = "search_document"
POSTGRES_SEARCH_EXPRESSION = (
    "to_tsvector('dutch'::regconfig, text_masked || ' ' || coalesce(answer_masked, ''))"
)

# The trigger bodies name the FTS table literally: SQL text built from constants only.
SQLITE_CREATE = [
    f"""CREATE VIRTUAL TABLE {SQLITE_FTS_TABLE} USING fts5(
        text_masked, answer_masked, content='question', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER question_fts_insert AFTER INSERT ON question BEGIN
        INSERT INTO question_fts(rowid, text_masked, answer_masked)
        VALUES (new.id, new.text_masked, coalesce(new.answer_masked, ''));
    END""",
    """CREATE TRIGGER question_fts_delete AFTER DELETE ON question BEGIN
        INSERT INTO question_fts(question_fts, rowid, text_masked, answer_masked)
        VALUES ('delete', old.id, old.text_masked, coalesce(old.answer_masked, ''));
    END""",
    """CREATE TRIGGER question_fts_update AFTER UPDATE OF text_masked, answer_masked
        ON question BEGIN
        INSERT INTO question_fts(question_fts, rowid, text_masked, answer_masked)
        VALUES ('delete', old.id, old.text_masked, coalesce(old.answer_masked, ''));
        INSERT INTO question_fts(rowid, text_masked, answer_masked)
        VALUES (new.id, new.text_masked, coalesce(new.answer_masked, ''));
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS question_fts_update",
    "DROP TRIGGER IF EXISTS question_fts_delete",
    "DROP TRIGGER IF EXISTS question_fts_insert",
    f"DROP TABLE IF EXISTS {SQLITE_FTS_TABLE}",
]
# What migration 0001 made: the index on the expression.
POSTGRES_CREATE = [
    f"CREATE INDEX {POSTGRES_SEARCH_INDEX} ON question USING gin ({POSTGRES_SEARCH_EXPRESSION})"
]
POSTGRES_DROP = [f"DROP INDEX IF EXISTS {POSTGRES_SEARCH_INDEX}"]
# What migration 0015 turns it into: the stored column and the index on it.
POSTGRES_STORE_DOCUMENT = [
    *POSTGRES_DROP,
    f"ALTER TABLE question ADD COLUMN {POSTGRES_SEARCH_DOCUMENT} tsvector "
    f"GENERATED ALWAYS AS ({POSTGRES_SEARCH_EXPRESSION}) STORED",
    f"CREATE INDEX {POSTGRES_SEARCH_INDEX} ON question USING gin ({POSTGRES_SEARCH_DOCUMENT})",
]
POSTGRES_UNSTORE_DOCUMENT = [
    *POSTGRES_DROP,
    f"ALTER TABLE question DROP COLUMN {POSTGRES_SEARCH_DOCUMENT}",
    *POSTGRES_CREATE,
]


def search_schema_statements(dialect: str, *, create: bool) -> list[str]:
    """Return the SQL that creates (or drops) the search structures as migration 0001 made them."""
    if dialect == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    if dialect == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    return []


def include_in_autogenerate(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic hook: skip the search structures, which migrations manage by hand."""
    if name is None:
        return True
    return not (
        name.startswith(SQLITE_FTS_TABLE)
        or name in {POSTGRES_SEARCH_INDEX, POSTGRES_SEARCH_DOCUMENT}
    )


def sqlite_trigger_statements() -> list[str]:
    """SQL that (re)creates the FTS sync triggers on `question`.

    Alembic's batch mode rebuilds a SQLite table to alter it, which drops its triggers:
    a migration that alters `question` runs these afterwards.
    """
    drops = [statement for statement in SQLITE_DROP if statement.startswith("DROP TRIGGER")]
    creates = [statement for statement in SQLITE_CREATE if statement.startswith("CREATE TRIGGER")]
    return drops + creates
