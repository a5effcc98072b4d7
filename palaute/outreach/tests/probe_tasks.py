"""A job for the two-worker test: records which worker ran which number, once.

The table has a primary key on ``number``, so a job that ran twice would fail its second
INSERT and show up as a FAILED job."""

import time

from django.db import connection
from django_tasks import task

TABLE = "outreach_test_probe"


@task(takes_context=True)
def record_run(context, number: int) -> None:
    time.sleep(0.003)  # a little work, so both workers get a share
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (number, worker) VALUES (%s, %s)",  # noqa: S608 - constant
            [number, context.task_result.worker_ids[-1]],
        )
