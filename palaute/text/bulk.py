"""A lean multi-row INSERT for the analysis tables.

Storing an analysis is most of the cost of analysing in bulk: ``bulk_create`` builds a model
instance and compiles every value of every row, which made storing slower than the pipeline
itself (≈3,500 comments/s against ≈8,000). Here rows are plain tuples; only the values whose
database form differs by backend (dates, times, JSON) go through the field's own preparation,
and the rows go to ``executemany`` in batches. Same SQL on SQLite and PostgreSQL.
"""

from collections.abc import Iterable, Sequence
from itertools import islice

from django.db import connection, models

_PREPARED = (models.DateTimeField, models.DateField, models.JSONField)


def insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """INSERT ``rows`` (tuples in the order of ``columns``, field names) into ``model``'s
    table; returns how many. No signals, no primary keys returned."""
    meta = model._meta
    fields: list[models.Field] = [meta.get_field(name) for name in columns]  # type: ignore[misc]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "
        f"({', '.join(quote(field.column or field.name) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    prepared = [
        (i, field.get_db_prep_save)
        for i, field in enumerate(fields)
        if isinstance(field, _PREPARED)
    ]

    def ready(row: tuple) -> list:
        values = list(row)
        for i, prep in prepared:
            if values[i] is not None:
                values[i] = prep(values[i], connection)
        return values

    done = 0
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(islice(iterator, 1000)):
            cursor.executemany(sql, [ready(row) for row in batch])
            done += len(batch)
    return done
