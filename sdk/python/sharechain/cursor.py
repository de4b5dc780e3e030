"""Where an event follower keeps its place: an EventCursor {height, index}.

The cursor names a place in the chain's sequence of events: block `height`, after its first
`index` events. After processing an event at position {h, i} the place to resume from is
{h, i + 1}; after a batch, its `next`. A follower stores the cursor only after it has processed
what comes before it, so a restarted program resumes from it with no gap and no duplicate.
"""

import json
import os
import tempfile

from . import api_pb2


def cursor_after(position):
    """The cursor just past an event at `position`."""
    return api_pb2.EventCursor(height=position.height, index=position.index + 1)


def cursor_key(c):
    return (c.height, c.index)


class MemoryCursorStore:
    def __init__(self, cursor=None):
        self._cursor = cursor

    def load(self):
        return self._cursor

    def save(self, cursor):
        self._cursor = api_pb2.EventCursor(height=cursor.height, index=cursor.index)


class FileCursorStore:
    """A cursor in a small JSON file, {"height": H, "index": I}, replaced atomically (written to
    a temporary file in the same folder, synced, renamed), so a crash leaves the old cursor or
    the new one, never a torn one."""

    def __init__(self, path):
        self.path = os.fspath(path)

    def load(self):
        """The stored cursor, or None when nothing was stored yet."""
        try:
            with open(self.path, "r", encoding="utf-8") as f:
                j = json.load(f)
        except FileNotFoundError:
            return None
        return api_pb2.EventCursor(height=int(j["height"]), index=int(j["index"]))

    def save(self, cursor):
        folder = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".cursor-", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"height": cursor.height, "index": cursor.index}, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
