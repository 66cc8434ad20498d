"""
The Autobahn|Python side of the cryptobox interop test (test/interop/cryptobox.test.ts).

Run with Debian's /usr/bin/python3 (python3-autobahn 22.7, python3-nacl). One JSON argument:
url (ws:// or rs://), serializer (json | msgpack), realm, py_prefix, ts_prefix, py_priv, ts_pub
(base64 keys). Under py_prefix this peer is the responder (callee, subscriber), under ts_prefix the
originator (caller, publisher); every payload goes through its cryptobox.KeyRing.

Prints one JSON line {"ready": true} once registered and subscribed, then waits for the
TypeScript side's encrypted event, calls ts_prefix + "add" and publishes to ts_prefix + "topic"
(both encrypted), prints {"event": ..., "add": ...} and leaves. Exits non-zero on any failure.
"""
import asyncio
import json
import sys

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession  # noqa: E402
from autobahn.wamp.cryptobox import HAS_CRYPTOBOX, Key, KeyRing  # noqa: E402
from autobahn.wamp.serializer import JsonSerializer, MsgPackSerializer  # noqa: E402
from autobahn.wamp.types import PublishOptions  # noqa: E402

config = json.loads(sys.argv[1])
outcome = {"ok": False}


def emit(value):
    print(json.dumps(value), flush=True)


class Peer(ApplicationSession):
    async def onJoin(self, details):
        try:
            assert HAS_CRYPTOBOX, "autobahn has no cryptobox (python3-nacl / pytrie missing)"
            ring = KeyRing()
            ring.set_key(config["py_prefix"], Key(originator_pub=config["ts_pub"], responder_priv=config["py_priv"]))
            ring.set_key(config["ts_prefix"], Key(originator_priv=config["py_priv"], responder_pub=config["ts_pub"]))
            self.set_payload_codec(ring)

            event = asyncio.get_event_loop().create_future()

            def mul(a, b, scale=1):
                return a * b * scale

            def on_event(*args, **kwargs):
                if not event.done():
                    event.set_result({"args": list(args), "kwargs": kwargs})

            await self.register(mul, config["py_prefix"] + "mul")
            await self.subscribe(on_event, config["py_prefix"] + "topic")
            emit({"ready": True})

            received = await asyncio.wait_for(event, 10)
            added = await self.call(config["ts_prefix"] + "add", 2, 3, extra="x")
            await self.publish(
                config["ts_prefix"] + "topic", "from-python", n=1, options=PublishOptions(acknowledge=True)
            )
            emit({"event": received, "add": added})
            outcome["ok"] = True
        except Exception as error:  # reported to the test, which fails on it
            emit({"error": repr(error)})
        finally:
            self.leave()

    def onDisconnect(self):
        asyncio.get_event_loop().stop()


serializer = JsonSerializer() if config["serializer"] == "json" else MsgPackSerializer()
ApplicationRunner(config["url"], config["realm"], serializers=[serializer]).run(Peer, log_level="warn")
sys.exit(0 if outcome["ok"] else 1)
