"""The embedded broker: kombu's filesystem transport, with whole messages only.

kombu's `_put` opens `<time>_<uuid>.<queue>.msg`, then locks and writes it, and a
consumer moves any `.msg` it lists out of the folder and decodes it: a producer killed
(or just descheduled) between the open and the write leaves an empty message, and the
worker that reads it stops for good (`Unrecoverable error: JSONDecodeError`, found by the
chaos harness's campaign scenario). Here a message is written under a temporary name and
renamed into place (atomic on one file system), and one that cannot be decoded anyway is
logged and dropped: the rows are the record and their sweepers enqueue the work again.

`install()` (courseops/celery.py) makes `filesystem://` mean this transport.
"""

import logging
import os
import uuid
from time import monotonic

from kombu import transport
from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        path = os.path.join(self.data_folder_out, name)
        partial = f"{path}.part"  # not `<queue>.msg`: consumers skip it
        try:
            with open(partial, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
            os.replace(partial, path)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {path!r} to directory") from exc

    def _get(self, queue):
        while True:  # Empty (nothing left) ends it
            try:
                return super()._get(queue)
            except ValueError as exc:  # JSONDecodeError: an empty or cut message
                logger.warning("broker.message.unreadable: dropped a %s message (%s)", queue, exc)


class Transport(filesystem.Transport):
    Channel = Channel


def install():
    transport.TRANSPORT_ALIASES["filesystem"] = "courseops.core.broker:Transport"
