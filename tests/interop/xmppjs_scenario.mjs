#!/usr/bin/env node
// The interop scenario from a second independent client: xmpp.js
// (@xmpp/client), against an XMPP server given by host, port and CA
// (stanzio-server, or Prosody and ejabberd to check the scenario itself).
//
//   xmppjs_scenario.mjs --port 25222 --ca DIR/ca.pem [--host 127.0.0.1]
//       [--domain localhost] [--password secret] [--accounts alice,bob]
//       [--tls 1.2|1.3] [--label NAME]
//   xmppjs_scenario.mjs --install      only install xmpp.js (exit 0 when done)
//
// The shape of slixmpp_scenario.py, smaller, each step asserted: STARTTLS
// with the certificate verified against the CA (RFC 6120 §5, §13.7.2),
// SASL SCRAM-SHA-1 (RFC 5802; the only SCRAM xmpp.js has), bind
// (RFC 6120 §7), roster get and add with its push (RFC 6121 §2.1.3,
// §2.3), a subscription both ways (RFC 6121 §3.1), presence seen on both
// sides (RFC 6121 §4.2), chat both ways (RFC 6121 §5), pings to the server
// and to the other client (XEP-0199 §4.2, §4.4), every stanza acknowledged
// when the server offers stream management (XEP-0198 §4; xmpp.js enables
// it by itself), and a clean close seen by the contact (RFC 6120 §4.4,
// RFC 6121 §4.5.2). The two accounts must exist with the same password.
// Exit 0 when every step passed; otherwise the failing step, why, and the
// last lines on the wire.
//
// xmpp.js comes from the npm registry: `npm ci` of xmppjs/package-lock.json
// (every package pinned, install scripts off) into $STANZIO_XMPPJS_DIR,
// default ~/.cache/stanzio/xmppjs-<hash of the lock file>, on the first
// run. The CA reaches Node's TLS through NODE_EXTRA_CA_CERTS, which Node
// reads only at start, so the script runs itself again with it set.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import tls from "node:tls";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const TIMEOUT_MS = 15_000;
const WIRE_LINES = 60;
const here = dirname(fileURLToPath(import.meta.url));
const lockFile = join(here, "xmppjs", "package-lock.json");

class StepFailed extends Error {}

/** The directory holding node_modules/@xmpp/client, installed if needed. */
function ensureXmppJs() {
  const lock = readFileSync(lockFile);
  const hash = createHash("sha256").update(lock).digest("hex").slice(0, 12);
  const dir = process.env.STANZIO_XMPPJS_DIR || join(homedir(), ".cache", "stanzio", `xmppjs-${hash}`);
  const marker = join(dir, `installed-${hash}`);
  if (!existsSync(marker)) {
    console.log(`installing xmpp.js into ${dir} (npm ci)`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(here, "xmppjs", "package.json"), join(dir, "package.json"));
    copyFileSync(lockFile, join(dir, "package-lock.json"));
    const npm = spawnSync(
      "npm",
      ["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
      { cwd: dir, stdio: "inherit" },
    );
    if (npm.status !== 0) {
      console.error(`xmpp.js: npm ci failed in ${dir} (${npm.error ?? `exit ${npm.status}`})`);
      process.exit(1);
    }
    writeFileSync(marker, "");
  }
  return dir;
}

/** The last lines exchanged by every connection of the run. */
class Wire {
  start = performance.now();
  lines = [];

  add(who, direction, data) {
    const text = String(data);
    this.#push(`${who} ${direction} ${text.length <= 1200 ? text : text.slice(0, 1200) + "…"}`);
  }

  step(name) {
    this.#push(`=== ${name}`);
  }

  #push(line) {
    const seconds = ((performance.now() - this.start) / 1000).toFixed(3).padStart(7);
    this.lines.push(`${seconds}s ${line}`);
    if (this.lines.length > WIRE_LINES) this.lines.shift();
  }
}

/** One connection, with every stanza it receives kept until a step takes it. */
class Account {
  constructor({ client, xml }, bare, resource, args, wire) {
    this.xml = xml;
    this.bare = bare;
    this.resource = resource;
    this.who = `${bare.split("@")[0]}/${resource}`;
    this.wire = wire;
    this.inbox = [];
    this.errors = [];
    this.waiters = new Set();
    this.inCommon = [];
    this.mechanism = null;
    const [username, domain] = bare.split("@");
    this.entity = client({
      service: `xmpp://${args.host}:${args.port}`,
      domain,
      resource,
      timeout: TIMEOUT_MS,
      // Called by xmpp.js with the mechanisms both sides have, its
      // preference first; recorded so the step can say what was used.
      credentials: async (authenticate, mechanisms) => {
        this.inCommon = mechanisms;
        this.mechanism = mechanisms.find((m) => m.startsWith("SCRAM-")) ?? null;
        if (!this.mechanism) {
          throw new StepFailed(`${this.who}: no SCRAM mechanism in common (${mechanisms.join(", ")})`);
        }
        await authenticate({ username, password: args.password }, this.mechanism);
      },
    });
    // A connection that fails must fail the step, not come back.
    this.entity.reconnect.stop();
    // Everything on the wire, in clear (before TLS, after decryption).
    const write = this.entity.write.bind(this.entity);
    this.entity.write = (string) => {
      this.wire.add(this.who, "->", string);
      return write(string);
    };
    const onData = this.entity._onData.bind(this.entity);
    this.entity._onData = (data) => {
      this.wire.add(this.who, "<-", data);
      return onData(data);
    };
    this.entity.on("error", (error) => {
      this.wire.add(this.who, "!!", error);
      this.errors.push(error);
      this.#wake();
    });
    this.entity.on("stanza", (stanza) => {
      this.inbox.push(stanza);
      if (this.sm.enabled) {
        this.counted.received += 1;
        if (["result", "error"].includes(stanza.attrs.type) && stanza.is("iq")) this.counted.results += 1;
      }
      this.#wake();
    });
    // RFC 6121 §2.1.6: a roster push is answered with a result. The
    // scenario reads it from the inbox.
    this.entity.iqCallee.set("jabber:iq:roster", "query", () => true);
    this.sm = this.entity.streamManagement;
    // Stanzas received since <enabled/> (XEP-0198 §4: what 'h' counts),
    // to compare with xmpp.js's own counter.
    this.counted = { received: 0, results: 0 };
  }

  #wake() {
    for (const wake of this.waiters) wake();
  }

  get jid() {
    return this.entity.jid?.toString() ?? null;
  }

  /** The first stanza in the inbox that `accept` takes, taken. */
  async wait(what, accept) {
    const deadline = performance.now() + TIMEOUT_MS;
    for (;;) {
      const index = this.inbox.findIndex((stanza) => accept(stanza));
      if (index >= 0) return this.inbox.splice(index, 1)[0];
      if (this.errors.length) {
        throw new StepFailed(`${this.who}: no ${what}: error ${this.errors[0]}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new StepFailed(`${this.who}: no ${what} within ${TIMEOUT_MS / 1000} s`);
      await new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  async login() {
    try {
      await withTimeout(this.entity.start(), `${this.who}: login`);
    } catch (error) {
      if (error instanceof StepFailed) throw error;
      const mechanism = this.mechanism ? `, SASL ${this.mechanism}` : "";
      throw new StepFailed(`${this.who}: login failed (${error?.condition ?? error}${mechanism})`);
    }
    // xmpp.js goes on without TLS when <starttls/> is not offered: the
    // step requires it (RFC 6120 §5.3.1 lets the client insist).
    const socket = this.entity.socket?.socket;
    if (!(socket instanceof tls.TLSSocket) || !socket.encrypted) {
      throw new StepFailed(`${this.who}: the stream is not encrypted`);
    }
    // Node refuses an unverified certificate by default; check it did not.
    if (!socket.authorized) {
      throw new StepFailed(`${this.who}: certificate not verified (${socket.authorizationError})`);
    }
    if (this.mechanism !== "SCRAM-SHA-1") {
      throw new StepFailed(`${this.who}: logged in with ${this.mechanism}, expected SCRAM-SHA-1`);
    }
    const expected = `${this.bare}/${this.resource}`;
    if (this.jid !== expected) {
      throw new StepFailed(`${this.who}: bound ${this.jid}, asked for ${expected}`);
    }
    return `bound ${this.jid}, ${socket.getProtocol()}, SASL ${this.mechanism} (in common: ${this.inCommon.join(", ")})`;
  }

  send(stanza) {
    return withTimeout(this.entity.send(stanza), `${this.who}: send`);
  }

  /** An IQ get or set and its result; an error answer fails the step. */
  async request(type, child, to, what) {
    const { xml } = this;
    try {
      return await this.entity.iqCaller.request(xml("iq", { type, to }, child), TIMEOUT_MS);
    } catch (error) {
      const why = error?.condition ? `error ${error.condition}` : String(error?.message ?? error);
      throw new StepFailed(`${this.who}: ${what}: ${why}`);
    }
  }

  roster(items) {
    return this.xml("query", { xmlns: "jabber:iq:roster" }, items);
  }

  /** A roster push (RFC 6121 §2.1.6: an IQ set from the account or no one) about `contact`. */
  rosterPush(contact, what, accept) {
    return this.wait(what, (stanza) => {
      if (!stanza.is("iq") || stanza.attrs.type !== "set") return false;
      const from = stanza.attrs.from;
      if (from && from !== this.bare) return false;
      const item = stanza.getChild("query", "jabber:iq:roster")?.getChild("item");
      return item?.attrs.jid === contact && accept(item);
    });
  }

  /** A ping (XEP-0199) and its result; to the server, also a round trip: what it queued before is in. */
  async ping(to, what) {
    const { xml } = this;
    const result = await this.request("get", xml("ping", { xmlns: "urn:xmpp:ping" }), to, what);
    if (result.attrs.type !== "result") {
      throw new StepFailed(`${this.who}: ${what}: answer of type ${result.attrs.type}`);
    }
  }

  /** Closes the stream and waits for the server's </stream:stream> (RFC 6120 §4.4). */
  async close() {
    const closing = await withTimeout(this.entity.stop(), `${this.who}: close`);
    // stop() swallows a close without an answer; its result is the root
    // the server closed, undefined if it did not.
    if (!closing) throw new StepFailed(`${this.who}: the server did not close its stream`);
    if (this.entity.status !== "offline") {
      throw new StepFailed(`${this.who}: status ${this.entity.status} after the close`);
    }
  }

  abort() {
    if (this.entity.status === "offline") return;
    try {
      this.entity.socket?.socket?.destroy();
    } catch {}
  }
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StepFailed(`${what}: nothing within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const bareOf = (jid) => (jid ?? "").split("/")[0];

async function scenario(xmppjs, args, wire, step) {
  const { xml } = xmppjs;
  const [aliceName, bobName] = args.accounts.split(",");
  const aliceBare = `${aliceName}@${args.domain}`;
  const bobBare = `${bobName}@${args.domain}`;
  const tag = Math.random().toString(16).slice(2, 14);
  const accounts = [];
  try {
    step("STARTTLS (certificate verified), SASL SCRAM-SHA-1, bind");
    const alice = new Account(xmppjs, aliceBare, "xmppjs", args, wire);
    const bob = new Account(xmppjs, bobBare, "xmppjs", args, wire);
    accounts.push(alice, bob);
    // Side by side: xmpp.js computes SCRAM's PBKDF2 with one WebCrypto call
    // per iteration, most of a second each at the servers' iteration counts.
    for (const detail of await Promise.all([alice.login(), bob.login()])) {
      console.log(`     ${detail}`);
    }

    step("roster get; what an earlier run left removed");
    for (const [who, contact] of [[alice, bobBare], [bob, aliceBare]]) {
      const result = await who.request("get", who.roster(), undefined, "roster get");
      const items = result.getChild("query", "jabber:iq:roster")?.getChildren("item") ?? [];
      if (items.some((item) => item.attrs.jid === contact)) {
        await who.request("set", who.roster(xml("item", { jid: contact, subscription: "remove" })),
          undefined, "roster remove");
      }
    }
    for (const who of [alice, bob]) {
      await who.ping(args.domain, "ping to the server");
      who.inbox.length = 0;
    }

    step("roster add with its push");
    await alice.request("set", alice.roster(
      xml("item", { jid: bobBare, name: "Bob" }, xml("group", {}, "Friends")),
    ), undefined, "roster add");
    await alice.rosterPush(bobBare, "push adding bob", (item) =>
      item.attrs.name === "Bob" && item.getChildText("group") === "Friends");

    step("initial presence");
    await alice.send(xml("presence"));
    await bob.send(xml("presence"));

    for (const [asker, contact] of [[alice, bob], [bob, alice]]) {
      step(`subscription: ${asker.who} asks ${contact.who}`);
      await asker.send(xml("presence", { to: contact.bare, type: "subscribe" }));
      await contact.wait("subscription request", (s) =>
        s.is("presence") && s.attrs.type === "subscribe" && bareOf(s.attrs.from) === asker.bare);
      await contact.send(xml("presence", { to: asker.bare, type: "subscribed" }));
      await asker.wait("approval", (s) =>
        s.is("presence") && s.attrs.type === "subscribed" && bareOf(s.attrs.from) === contact.bare);
      await asker.rosterPush(contact.bare, "push after the approval", (item) =>
        ["to", "both"].includes(item.attrs.subscription));
    }

    step("presence seen on both sides");
    for (const [who, contact] of [[alice, bob], [bob, alice]]) {
      await who.wait(`presence of ${contact.jid}`, (s) =>
        s.is("presence") && !s.attrs.type && s.attrs.from === contact.jid);
      const result = await who.request("get", who.roster(), undefined, "roster get");
      const item = result.getChild("query", "jabber:iq:roster")?.getChildren("item")
        .find((i) => i.attrs.jid === contact.bare);
      if (item?.attrs.subscription !== "both") {
        throw new StepFailed(`${who.who}: subscription ${JSON.stringify(item?.attrs.subscription)}, expected "both"`);
      }
    }

    step("chat both ways");
    for (const [sender, recipient, to] of [[alice, bob, bobBare], [bob, alice, alice.jid]]) {
      const body = `hello from ${sender.who} ${tag}`;
      await sender.send(xml("message", { to, type: "chat" }, xml("body", {}, body)));
      const message = await recipient.wait(`message ${JSON.stringify(body)}`, (s) =>
        s.is("message") && s.getChildText("body") === body);
      if (message.attrs.from !== sender.jid) {
        throw new StepFailed(`${recipient.who}: message from ${message.attrs.from}, expected ${sender.jid}`);
      }
      if (message.attrs.type !== "chat") {
        throw new StepFailed(`${recipient.who}: message of type ${message.attrs.type}, expected chat`);
      }
    }

    step("pings: the server, then the other client");
    await alice.ping(args.domain, "ping to the server");
    // xmpp.js answers pings by itself (its iqCallee): XEP-0199 §4.4.
    await bob.ping(alice.jid, "ping to alice");

    step("stream management: every stanza acknowledged (XEP-0198 §4)");
    for (const who of [alice, bob]) {
      if (!who.sm.enabled) {
        throw new StepFailed(`${who.who}: stream management not enabled (xmpp.js enables it when offered)`);
      }
      // xmpp.js asks with <r/> 250 ms after its last stanza; the step waits
      // for the <a/> that empties its queue.
      const deadline = performance.now() + TIMEOUT_MS;
      while (who.sm.outbound_q.length) {
        if (performance.now() > deadline) {
          throw new StepFailed(`${who.who}: ${who.sm.outbound_q.length} stanzas never acknowledged (h=${who.sm.outbound})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { received, results } = who.counted;
      console.log(`     ${who.who}: the server acknowledged ${who.sm.outbound} stanzas; ` +
        `xmpp.js's h is ${who.sm.inbound} of ${received} received (${results} IQ results)`);
    }

    step("clean close, seen by the contact");
    const gone = alice.jid;
    await alice.close();
    accounts.splice(accounts.indexOf(alice), 1);
    await bob.wait(`unavailable presence of ${gone}`, (s) =>
      s.is("presence") && s.attrs.type === "unavailable" && s.attrs.from === gone);
    await bob.close();
    accounts.splice(accounts.indexOf(bob), 1);
  } finally {
    for (const who of accounts) who.abort();
  }
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string" },
      ca: { type: "string" },
      domain: { type: "string", default: "localhost" },
      password: { type: "string", default: "secret" },
      accounts: { type: "string", default: "alice,bob" },
      tls: { type: "string" },
      label: { type: "string" },
      install: { type: "boolean", default: false },
    },
  });
  const dir = ensureXmppJs();
  if (args.install) return;
  if (!args.port || !args.ca) {
    console.error("usage: xmppjs_scenario.mjs --port PORT --ca CA.pem [--tls 1.2|1.3] [--label NAME]");
    process.exit(2);
  }
  if (process.env.NODE_EXTRA_CA_CERTS !== args.ca) {
    // Node reads the extra CA only at start; the server's certificate must
    // verify against it and nothing is relaxed (rejectUnauthorized stays on).
    const again = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: "inherit",
      env: { ...process.env, NODE_EXTRA_CA_CERTS: args.ca },
    });
    process.exit(again.status ?? 1);
  }
  if (args.tls === "1.2") tls.DEFAULT_MAX_VERSION = "TLSv1.2";
  else if (args.tls === "1.3") tls.DEFAULT_MIN_VERSION = "TLSv1.3";
  else if (args.tls) throw new Error(`--tls ${args.tls}: 1.2 or 1.3`);

  const entry = join(dir, "node_modules", "@xmpp", "client");
  const version = JSON.parse(readFileSync(join(entry, "package.json"), "utf8")).version;
  const xmppjs = await import(pathToFileURL(join(entry, "index.js")).href);
  const label = args.label ?? `${args.host}:${args.port}`;
  const wire = new Wire();
  const current = { step: "setup", count: 0 };
  const step = (name) => {
    if (current.count) console.log(`[${String(current.count).padStart(2)}] ok   ${current.step}`);
    current.count += 1;
    current.step = name;
    wire.step(name);
  };

  const started = performance.now();
  try {
    await scenario(xmppjs, args, wire, step);
  } catch (error) {
    const why = error instanceof StepFailed ? error.message : (error?.stack ?? String(error));
    console.log(`FAILED ${label} (xmpp.js ${version}): step \`${current.step}\`: ${why}`);
    console.log(`last ${wire.lines.length} lines on the wire:`);
    for (const line of wire.lines) console.log(`  ${line}`);
    process.exit(1);
  }
  console.log(`[${String(current.count).padStart(2)}] ok   ${current.step}`);
  console.log(`passed: ${label}, xmpp.js ${version}, ${current.count} steps in ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Timers of a closed client must not keep the process alive.
  process.exit(0);
}

await main();
