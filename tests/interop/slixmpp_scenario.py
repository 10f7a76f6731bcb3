#!/usr/bin/env python3
"""The interop scenario from the other side: slixmpp, an independent client,
against an XMPP server given by host, port and CA (stanzio-server, or Prosody
and ejabberd to check the scenario itself).

    slixmpp_scenario.py --port 25222 --ca DIR/ca.pem [--host 127.0.0.1]
        [--domain localhost] [--password secret] [--accounts alice,bob,carol]
        [--tls 1.2|1.3] [--label NAME]

The same shape as tests/interop.rs, each step asserted: STARTTLS with the
certificate verified against the CA, SASL, bind, roster add/update/remove
with their pushes, a subscription both ways, presence seen on both sides,
chat both ways, carbons, blocking and unblocking (XEP-0191), stream
management with acks and resumption after the TCP connection is cut
(nothing lost, nothing twice), pings both ways, clean close. The three
accounts must exist with the same password. Exit 0 when every step passed;
otherwise the failing step, why, and the last lines on the wire.

slixmpp comes from PyPI into a virtual environment this script makes on its
first run (python3 -m venv; on Debian that needs the python3-venv package)
under $STANZIO_SLIXMPP_VENV, default ~/.cache/stanzio/slixmpp-venv.
"""

import argparse
import asyncio
import collections
import os
import ssl
import subprocess
import sys
import time

SLIXMPP = "slixmpp==1.17.0"
TIMEOUT = 15.0
WIRE_LINES = 60


def ensure_slixmpp():
    """Runs the script again inside the venv with slixmpp, made if needed."""
    venv = os.environ.get("STANZIO_SLIXMPP_VENV") or os.path.expanduser(
        "~/.cache/stanzio/slixmpp-venv"
    )
    python = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    marker = os.path.join(venv, SLIXMPP)
    if not os.path.exists(marker):
        print(f"making {venv} with {SLIXMPP}", flush=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
            subprocess.run(
                [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", SLIXMPP],
                check=True,
            )
        except subprocess.CalledProcessError as error:
            sys.exit(f"cannot make the slixmpp venv ({error}); on Debian: apt-get install python3-venv")
        open(marker, "w").close()
    os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])


ensure_slixmpp()

import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402


class StepFailed(Exception):
    pass


class Wire:
    """The last lines exchanged by every connection of the run."""

    def __init__(self):
        self.start = time.monotonic()
        self.lines = collections.deque(maxlen=WIRE_LINES)

    def add(self, who, direction, data):
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        text = data if len(data) <= 1200 else data[:1200] + "…"
        self.lines.append(f"{time.monotonic() - self.start:7.3f}s {who} {direction} {text}")

    def step(self, name):
        self.lines.append(f"{time.monotonic() - self.start:7.3f}s === {name}")


class Account(slixmpp.ClientXMPP):
    """One connection, with every event the scenario waits for in a queue."""

    def __init__(self, jid, args, wire, stream_management=False):
        super().__init__(jid, args.password)
        self.args = args
        self.wire = wire
        self.who = jid.split("@")[0] + "/" + jid.split("/")[-1]
        self.inbox = collections.defaultdict(list)
        self.changed = asyncio.Event()
        self.mechanism = None
        self.roster.auto_authorize = None  # subscription requests are answered by the test
        self.roster.auto_subscribe = False
        for plugin in ("xep_0030", "xep_0191", "xep_0199", "xep_0280"):
            self.register_plugin(plugin)
        if stream_management:
            self.register_plugin("xep_0198", {"allow_resume": True})
        for event in (
            "session_start", "failed_auth", "auth_success", "disconnected", "message",
            "message_error", "roster_update", "presence_subscribe", "presence_subscribed",
            "presence_available", "presence_unavailable", "carbon_received", "carbon_sent",
            "blocked", "unblocked", "sm_enabled", "session_resumed", "stanza_acked",
        ):
            self.add_event_handler(event, self._collector(event))
        self.add_event_handler("auth_success", self._auth_success)
        context = ssl.create_default_context(cafile=args.ca)  # verifies the name too
        if args.tls == "1.2":
            context.maximum_version = ssl.TLSVersion.TLSv1_2
        elif args.tls == "1.3":
            context.minimum_version = ssl.TLSVersion.TLSv1_3
        self.ssl_context = context
        self.enable_direct_tls = False
        self.enable_plaintext = False
        self.enable_starttls = True

    def _collector(self, event):
        def collect(value):
            self.inbox[event].append(value)
            self.changed.set()

        return collect

    def _auth_success(self, _):
        mechanism = getattr(self.plugin["feature_mechanisms"], "mech", None)
        self.mechanism = getattr(mechanism, "name", None)

    def send_raw(self, data):
        self.wire.add(self.who, "->", data)
        return super().send_raw(data)

    def data_received(self, data):
        self.wire.add(self.who, "<-", data)
        return super().data_received(data)

    async def wait(self, event, what, accept=lambda value: True):
        """The first value of `event` that `accept` takes, taken."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for index, value in enumerate(self.inbox[event]):
                if accept(value):
                    del self.inbox[event][index]
                    return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise StepFailed(f"{self.who}: no {what} within {TIMEOUT:.0f} s")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    def take(self, event):
        values, self.inbox[event] = self.inbox[event], []
        return values

    async def login(self):
        self.connect(self.args.host, self.args.port)
        # A failed attempt is not the end: slixmpp tries the next offered
        # mechanism (it binds only tls-unique, so against a server without
        # tls-unique its -PLUS attempts fail and SCRAM with flag n follows).
        # The login fails only if the stream ends without a session.
        started = asyncio.ensure_future(self.wait("session_start", "session"))
        ended = asyncio.ensure_future(self.wait("disconnected", "disconnection"))
        done, pending = await asyncio.wait([started, ended], return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if ended in done and not ended.exception():
            failures = len(self.take("failed_auth"))
            raise StepFailed(f"{self.who}: the server refused the login ({failures} failed attempts)")
        started.result()
        self.failed_attempts = len(self.take("failed_auth"))
        tls = self.transport.get_extra_info("ssl_object")
        if tls is None:
            raise StepFailed(f"{self.who}: the stream is not encrypted")
        return (
            f"bound {self.boundjid.full}, {tls.version()}, SASL {self.mechanism}"
            f" after {self.failed_attempts} failed attempts"
        )

    async def request(self, awaitable, what):
        try:
            return await asyncio.wait_for(awaitable, TIMEOUT)
        except IqError as error:
            raise StepFailed(f"{self.who}: {what}: {error.iq['error']['condition']}") from None
        except (IqTimeout, asyncio.TimeoutError):
            raise StepFailed(f"{self.who}: {what}: no answer") from None

    async def settle(self):
        """A round trip to the server: what it queued before is in."""
        await self.request(self.plugin["xep_0199"].ping(timeout=TIMEOUT), "ping to the server")

    async def roster_push(self, contact, what, accept):
        """A roster push (an IQ set, not the answer to a roster get) about `contact`."""

        def matches(iq):
            item = iq["roster"]["items"].get(slixmpp.JID(contact))
            return iq["type"] == "set" and item is not None and accept(item)

        return await self.wait("roster_update", what, matches)

    async def close(self):
        self.disconnect()
        await self.wait("disconnected", "end of the stream")


def names(command, jid):
    """Whether a XEP-0191 block or unblock command lists `jid`."""
    return any(item["jid"] == slixmpp.JID(jid) for item in command["items"])


def body_is(body):
    return lambda message: message["body"] == body


async def scenario(args, wire, step):
    domain = args.domain
    alice_name, bob_name, carol_name = args.accounts.split(",")
    alice_bare, bob_bare, carol_bare = (f"{n}@{domain}" for n in (alice_name, bob_name, carol_name))
    tag = os.urandom(6).hex()
    accounts = []

    def account(jid, **options):
        created = Account(jid, args, wire, **options)
        accounts.append(created)
        return created

    try:
        step("STARTTLS (certificate verified), SASL, bind")
        alice = account(alice_bare + "/scenario")
        bob = account(bob_bare + "/scenario")
        for who in (alice, bob):
            detail = await who.login()
            expected = who.boundjid.bare + "/scenario"
            if who.boundjid.full != expected:
                raise StepFailed(f"{who.who}: bound {who.boundjid.full}, asked for {expected}")
            print(f"     {detail}", flush=True)

        step("roster get; what an earlier run left removed")
        for who, contact in ((alice, bob_bare), (bob, alice_bare)):
            await who.request(who.get_roster(), "roster get")
            if contact in who.client_roster:
                await who.request(who.del_roster_item(contact), "roster remove")
        await alice.request(alice.plugin["xep_0191"].get_blocked(), "blocklist get")
        await alice.request(alice.plugin["xep_0191"].unblock([carol_bare]), "unblock")
        for who in (alice, bob):
            await who.settle()
            who.inbox.clear()

        step("roster add with its push")
        await alice.request(alice.update_roster(bob_bare, name="Bob", groups=["Friends"]), "roster add")
        await alice.roster_push(bob_bare, "push adding bob",
                                lambda item: item["name"] == "Bob" and item["groups"] == ["Friends"])

        step("roster update with its push")
        await alice.request(alice.update_roster(bob_bare, name="Bobby", groups=["Friends", "Work"]),
                            "roster update")
        await alice.roster_push(bob_bare, "push updating bob",
                                lambda item: item["name"] == "Bobby"
                                and sorted(item["groups"]) == ["Friends", "Work"])

        step("roster remove with its push")
        await alice.request(alice.del_roster_item(bob_bare), "roster remove")
        await alice.roster_push(bob_bare, "push removing bob",
                                lambda item: item["subscription"] == "remove")

        step("initial presence")
        alice.send_presence()
        bob.send_presence()

        for asker, contact in ((alice, bob), (bob, alice)):
            step(f"subscription: {asker.who} asks {contact.who}")
            asker.send_presence(pto=contact.boundjid.bare, ptype="subscribe")
            await contact.wait("presence_subscribe", "subscription request",
                               lambda p: p["from"].bare == asker.boundjid.bare)
            contact.send_presence(pto=asker.boundjid.bare, ptype="subscribed")
            await asker.wait("presence_subscribed", "approval",
                             lambda p: p["from"].bare == contact.boundjid.bare)
            await asker.roster_push(contact.boundjid.bare, "push after the approval",
                                    lambda item: item["subscription"] in ("to", "both"))

        step("presence seen on both sides")
        for who, contact in ((alice, bob), (bob, alice)):
            await who.wait("presence_available", f"presence of {contact.boundjid.full}",
                           lambda p: p["from"] == contact.boundjid)
            # The push that makes it `both` follows the approval this side
            # sent (RFC 6121 §3.1.5); the contact's presence may come first.
            if who.client_roster[contact.boundjid.bare]["subscription"] != "both":
                await who.roster_push(contact.boundjid.bare, "push making the subscription both",
                                      lambda item: item["subscription"] == "both")

        step("chat both ways")
        for sender, recipient, to in ((alice, bob, bob_bare), (bob, alice, alice.boundjid.full)):
            body = f"hello from {sender.who} {tag}"
            sender.send_message(mto=to, mbody=body, mtype="chat")
            message = await recipient.wait("message", f"message {body!r}", body_is(body))
            if message["from"] != sender.boundjid:
                raise StepFailed(f"message from {message['from']}, expected {sender.boundjid}")

        step("carbons")
        alice2 = account(alice_bare + "/scenario-2")
        await alice2.login()
        alice2.send_presence()
        await alice2.request(alice2.plugin["xep_0280"].enable(), "carbons enable")
        incoming = f"to the other resource {tag}"
        bob.send_message(mto=alice.boundjid.full, mbody=incoming, mtype="chat")
        await alice.wait("message", "the message", body_is(incoming))
        await alice2.wait("carbon_received", "received carbon",
                          lambda m: m["carbon_received"]["body"] == incoming)
        outgoing = f"from the other resource {tag}"
        alice.send_message(mto=bob.boundjid.full, mbody=outgoing, mtype="chat")
        await bob.wait("message", "the message", body_is(outgoing))
        await alice2.wait("carbon_sent", "sent carbon",
                          lambda m: m["carbon_sent"]["body"] == outgoing)

        step("blocking (XEP-0191)")
        carol = account(carol_bare + "/scenario")
        await carol.login()
        await alice.request(alice.plugin["xep_0191"].block([carol_bare]), "block")
        await alice.wait("blocked", "block push", lambda iq: names(iq["block"], carol_bare))
        alice.send_message(mto=carol_bare, mbody=f"to carol {tag}", mtype="chat")
        refusal = await alice.wait("message_error", "refusal of a message to carol")
        if refusal["error"]["condition"] != "not-acceptable":
            raise StepFailed(f"refusal {refusal['error']['condition']!r}, expected not-acceptable")
        blocked_body = f"while blocked {tag}"
        carol.send_message(mto=alice.boundjid.full, mbody=blocked_body, mtype="chat")
        await carol.settle()

        step("unblocking")
        await alice.request(alice.plugin["xep_0191"].unblock([carol_bare]), "unblock")
        await alice.wait("unblocked", "unblock push", lambda iq: names(iq["unblock"], carol_bare))
        after = f"after unblocking {tag}"
        carol.send_message(mto=alice.boundjid.full, mbody=after, mtype="chat")
        await alice.wait("message", "carol's message", body_is(after))
        if any(m["body"] == blocked_body for m in alice.take("message")):
            raise StepFailed("alice received carol's message while she blocked her")

        step("pings both ways")
        await alice.settle()
        await bob.request(bob.plugin["xep_0199"].ping(alice.boundjid.full, timeout=TIMEOUT),
                          "ping alice")

        step("stream management: enable and ack")
        sm = account(alice_bare + "/scenario-sm", stream_management=True)
        await sm.login()
        await sm.wait("sm_enabled", "<enabled/>", lambda e: e["resume"] in (True, "true", "1"))
        first = f"acked {tag}"
        sm.send_message(mto=bob.boundjid.full, mbody=first, mtype="chat")
        await bob.wait("message", "the message", body_is(first))
        # slixmpp's own <r/> can overtake the message it is about: once bob
        # has it, the server counted it.
        sm.plugin["xep_0198"].request_ack()
        await sm.wait("stanza_acked", "ack", lambda s: s.name == "message" and s["body"] == first)

        step("stream management: the connection cut")
        sm.abort()
        await sm.wait("disconnected", "the loss")
        away = [f"while away {n} {tag}" for n in (1, 2, 3)]
        for body in away:
            bob.send_message(mto=sm.boundjid.full, mbody=body, mtype="chat")
        await bob.settle()

        step("stream management: resumption, nothing lost, nothing twice")
        sm.connect(args.host, args.port)
        await sm.wait("session_resumed", "<resumed/>")
        for body in away:
            await sm.wait("message", f"message {body!r}", body_is(body))
        await sm.settle()
        again = [m["body"] for m in sm.take("message") if m["body"] in away + [first]]
        if again:
            raise StepFailed(f"received again: {again}")
        last = f"after resumption {tag}"
        sm.send_message(mto=bob.boundjid.full, mbody=last, mtype="chat")
        await bob.wait("message", "the message", body_is(last))
        await bob.settle()
        again = [m["body"] for m in bob.take("message") if m["body"] in (first, last)]
        if again:
            raise StepFailed(f"bob received again: {again}")

        step("clean close, seen by the contact")
        for who in (sm, carol, alice2):
            await who.close()
            accounts.remove(who)
        gone = alice.boundjid
        await alice.close()
        accounts.remove(alice)
        await bob.wait("presence_unavailable", f"unavailable presence of {gone}",
                       lambda p: p["from"] == gone)
        await bob.close()
        accounts.remove(bob)
    finally:
        for who in accounts:
            who.abort()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True, help="the CA that signed the server's certificate")
    parser.add_argument("--domain", default="localhost")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--accounts", default="alice,bob,carol")
    parser.add_argument("--tls", choices=("1.2", "1.3"), help="only this TLS version")
    parser.add_argument("--label", default=None, help="the server's name in the report")
    args = parser.parse_args()
    label = args.label or f"{args.host}:{args.port}"
    wire = Wire()
    current = {"step": "setup", "count": 0}

    def step(name):
        if current["count"]:
            print(f"[{current['count']:2}] ok   {current['step']}", flush=True)
        current["count"] += 1
        current["step"] = name
        wire.step(name)

    started = time.monotonic()
    try:
        asyncio.run(scenario(args, wire, step))
    except (StepFailed, OSError, asyncio.TimeoutError) as error:
        print(f"FAILED {label} (slixmpp {slixmpp.__version__}): step `{current['step']}`: {error}")
        print(f"last {len(wire.lines)} lines on the wire:")
        for line in wire.lines:
            print("  " + line)
        sys.exit(1)
    print(f"[{current['count']:2}] ok   {current['step']}")
    print(f"passed: {label}, slixmpp {slixmpp.__version__}, {current['count']} steps "
          f"in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
