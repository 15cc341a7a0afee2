"""The embedded broker (`filesystem://`) hands out whole messages only: a half-written one
(a producer killed between creating the file and writing it) no longer stops the worker
that reads it, and a message is never visible before it is complete."""

import kombu

from courseops.core.broker import Transport


def _connection(folder):
    for name in ("queue", "processed"):
        (folder / name).mkdir(exist_ok=True)
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "polling_interval": 0.01,
    }
    return kombu.Connection("filesystem://localhost//", transport_options=options)


def test_filesystem_urls_use_the_whole_message_transport():
    import courseops.celery  # noqa: F401  (installs it)

    assert kombu.Connection("filesystem://localhost//").transport_cls == "filesystem"
    assert kombu.Connection("filesystem://localhost//").get_transport_cls() is Transport


def test_an_empty_message_is_dropped_and_the_next_one_delivered(tmp_path, caplog):
    with _connection(tmp_path) as conn:
        queue = conn.SimpleQueue("urgent")
        # What kombu's own _put leaves when its producer dies after the open: an empty
        # file under a message's name, older than the good one. Consumers take names in
        # sorted order and a name starts with the clock's milliseconds, never 0: "1_..."
        # sorted after the good one whenever the machine's uptime began with a 1.
        (tmp_path / "queue" / "0_0a.urgent.msg").write_bytes(b"")
        queue.put({"link": "ok"})

        message = queue.get(timeout=5)

        assert message.payload == {"link": "ok"}
        message.ack()
        queue.close()
    assert "broker.message.unreadable" in caplog.text


def test_a_message_appears_under_its_queue_name_only_once_written(tmp_path):
    with _connection(tmp_path) as conn:
        queue = conn.SimpleQueue("urgent")
        queue.put({"n": 1})
        names = sorted(p.name for p in (tmp_path / "queue").iterdir())
        queue.close()

    assert len(names) == 1
    assert names[0].endswith(".urgent.msg")
    assert (tmp_path / "queue" / names[0]).stat().st_size > 0
