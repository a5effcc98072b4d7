"""Settings for ``bench/collect.py --tuned``: the project's settings plus the changes the
benchmark proposes, so their effect can be measured side by side with the defaults."""

from palaute.settings import *  # noqa: F403
from palaute.settings import DATABASES

# Keep database connections between requests. With CONN_MAX_AGE = 0 every request opens a
# new SQLite connection (running the init PRAGMAs) and closes it; when the last connection
# closes, SQLite checkpoints and deletes the WAL file, so the next request recreates it.
DATABASES["default"]["CONN_MAX_AGE"] = 600
