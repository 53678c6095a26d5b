"""A tiny freedesktop notification daemon for the tests (``python -m tests.jobs.notification_server ADDRESS``).

It owns ``org.freedesktop.Notifications`` on the bus at ADDRESS, answers ``Notify`` with a new
id and ``GetServerInformation``, prints each notification as a JSON line on stdout, and, for a
summary that ends in "[click]", emits ``ActionInvoked(id, "default")`` as a click would.
"""

from __future__ import annotations

import json
import sys
from itertools import count

from jeepney import DBusAddress, HeaderFields, MessageType, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


def say(record: dict[str, object]) -> None:
    """One JSON line on stdout, at once (the test reads it while the app runs)."""
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def main(address: str) -> None:
    connection = open_dbus_connection(bus=address)
    connection.send_and_get_reply(message_bus.RequestName(NAME))
    say({"ready": True})
    ids = count(1)
    emitter = DBusAddress(PATH, interface=NAME)
    while True:
        message = connection.receive()
        if message.header.message_type != MessageType.method_call:
            continue
        member = message.header.fields.get(HeaderFields.member)
        if member == "Notify":
            app, _replaces, _icon, summary, body, actions, _hints, timeout = message.body
            nid = next(ids)
            connection.send(new_method_return(message, "u", (nid,)))
            record = {"id": nid, "app": app, "summary": summary, "body": body, "actions": actions, "timeout": timeout}
            say(record)
            if summary.endswith("[click]"):
                connection.send(new_signal(emitter, "ActionInvoked", "us", (nid, "default")))
        elif member == "GetServerInformation":
            connection.send(new_method_return(message, "ssss", ("simdesk-test", "simdesk", "1", "1.2")))
        elif member == "GetCapabilities":
            connection.send(new_method_return(message, "as", (["actions", "body"],)))
        else:
            connection.send(new_method_return(message))


if __name__ == "__main__":
    main(sys.argv[1])
