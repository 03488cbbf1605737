"""How a transactional test's teardown empties the database on PostgreSQL."""

from django.db.backends.postgresql.operations import DatabaseOperations

_truncate = DatabaseOperations.sql_flush


def sql_flush_by_delete(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """DELETE FROM each table, as Django's SQLite backend does, instead of one TRUNCATE of them all.

    TRUNCATE gives every table and index new files: emptying the ~60 tables after each
    transactional test took about ten times as long as deleting the few rows a test leaves.
    Every foreign key Django makes on PostgreSQL is deferred to commit (and flush runs in one
    transaction), so the order of the deletes does not matter.
    """
    if reset_sequences or allow_cascade:
        return _truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]
