"""Plain INSERT statements for the submission hot path.

The ORM's ``save()`` and ``bulk_create()`` rebuild their SQL on every call and need a savepoint
to survive a duplicate key; on the path every channel's responses take, that overhead was
most of the time spent. These helpers build each model's statement once and let the
database recognise duplicates (``ON CONFLICT … DO NOTHING``, SQLite ≥ 3.35 and PostgreSQL).
Values still go through each field's ``get_db_prep_save``, so they are stored exactly as the
ORM would store them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connection, models


@cache
def _statement(model: type[models.Model], conflict: tuple[str, ...]) -> tuple[list, str]:
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        field = meta.get_field(name)
        assert isinstance(field, models.Field) and field.column
        return quote(field.column)

    columns = ", ".join(quote(str(field.column)) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"
    if conflict:
        targets = ", ".join(column(name) for name in conflict)
        sql += f" ON CONFLICT ({targets}) DO NOTHING RETURNING {column(meta.pk.name)}"
    return fields, sql


def _values(fields: list, obj: models.Model) -> list:
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]


def insert_unless_duplicate(obj: models.Model, conflict: tuple[str, ...]) -> bool:
    """INSERT ``obj``; do nothing when a row with the same ``conflict`` fields exists.

    Returns True and sets ``obj.pk`` when a row was inserted, False for a duplicate.
    """
    fields, sql = _statement(type(obj), conflict)
    with connection.cursor() as cursor:
        cursor.execute(sql, _values(fields, obj))
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return True


def insert_many(objs: Sequence[models.Model]) -> None:
    """INSERT rows of one model in one ``executemany`` (their primary keys are not read back)."""
    if not objs:
        return
    fields, sql = _statement(type(objs[0]), ())
    with connection.cursor() as cursor:
        cursor.executemany(sql, [_values(fields, obj) for obj in objs])
