#!/usr/bin/env python3
"""The raftspec adapter protocol, version 1 (docs/drive.md), for the servers of raft.py.

JSON lines over stdin/stdout, strictly alternating: one request in, one response out, flushed.
This program keeps a cluster of RaftServers keyed by node ID, each with its in-memory disk
(Storage). It never delivers messages itself: raftspec owns the network, the crashes and the
schedule. No randomness and no clock: timers arrive as inputs. Debugging output goes to stderr
only (set PY_RAFT_DEBUG=1 to log every request).

    python3 examples/py-raft/adapter.py
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

sys.dont_write_bytecode = True  # leave no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from raft import MESSAGE_TYPES, OBSERVES, PROFILE, RaftServer, Storage  # noqa: E402

VERSION = 1
NAME = "py-raft"
EVENTS = ["electionTimeout", "heartbeatTimeout", "clientRequest"]
DEBUG = os.environ.get("PY_RAFT_DEBUG") not in (None, "", "0")

# ProtocolOptions this server runs under. Any other option, set to anything but its default, is
# refused at `start`. maxEntriesPerAppendEntries is accepted and ignored (DEC-6b: this server sends
# every entry from nextIndex); snapshotChunkSize concerns snapshots, which it never takes.
IGNORED_OPTIONS = {"maxEntriesPerAppendEntries", "snapshotChunkSize"}
OFF_BY_DEFAULT = {"fastBacktracking", "leaderNoop", "leaseReads", "preVote", "checkQuorum", "disruptionGuard",
                  "leadershipTransfer", "pipelining"}


class AdapterError(Exception):
    """A request this adapter refuses: answered as {"id": N, "error": "..."}."""


def debug(*args: Any) -> None:
    if DEBUG:
        print(*args, file=sys.stderr, flush=True)


class Cluster:
    def __init__(self) -> None:
        self.servers: list[str] = []
        self.disks: dict[str, Storage] = {}
        self.running: dict[str, RaftServer] = {}  # a crashed server has no entry

    def start(self, servers: list[str], options: dict[str, Any], configuration: Any) -> None:
        if not isinstance(servers, list) or not servers or not all(isinstance(s, str) for s in servers):
            raise AdapterError("start: servers must be a non-empty list of node IDs")
        if len(set(servers)) != len(servers):
            raise AdapterError("start: duplicate node IDs")
        for name, value in (options or {}).items():
            if name in IGNORED_OPTIONS:
                continue
            if name in OFF_BY_DEFAULT and value is False:
                continue
            if name == "flowControlWindow" and value == 0:
                continue  # 0: off (the resolved default)
            raise AdapterError(f"start: option {name}={json.dumps(value)} is not supported by {NAME}")
        if configuration is not None:
            voters = configuration.get("voters")
            if sorted(voters or []) != sorted(servers) or configuration.get("learners") or configuration.get("oldVoters"):
                raise AdapterError(f"start: {NAME} supports only the configuration of every server a voter (no membership changes)")
        self.servers = list(servers)
        self.disks = {s: Storage() for s in servers}
        self.running = {s: RaftServer(s, servers, self.disks[s]) for s in servers}

    def node(self, node: Any) -> str:
        if node not in self.disks:
            raise AdapterError(f"unknown node {node!r}")
        return node

    def state(self, node: str) -> dict[str, Any]:
        server = self.running.get(node)
        if server is None:
            # A crashed server: what its disk keeps, every volatile field at its initial value.
            server = RaftServer(node, self.servers, self.disks[node])
        return server.observe()

    def step(self, node: str, inp: Any) -> dict[str, Any]:
        if not isinstance(inp, dict):
            raise AdapterError("step: input must be an object")
        kind = inp.get("type")
        if kind not in EVENTS and kind not in MESSAGE_TYPES:
            raise AdapterError(f"step: {NAME} does not handle input {kind!r}")
        server = self.running.get(node)
        if server is None:
            # An event to a crashed server has no effect; a message to it is lost.
            return {"sent": [], "replies": [], "state": self.state(node)}
        sent, replies = server.handle(inp)
        return {"sent": sent, "replies": replies, "state": server.observe()}

    def crash(self, node: str) -> None:
        if node not in self.running:
            raise AdapterError(f"crash: {node} is already crashed")
        del self.running[node]  # every volatile field goes; the disk stays

    def restart(self, node: str) -> dict[str, Any]:
        if node in self.running:
            raise AdapterError(f"restart: {node} is not crashed")
        server = RaftServer(node, self.servers, self.disks[node])  # back from its disk, sending nothing
        self.running[node] = server
        return {"sent": [], "replies": [], "state": server.observe()}


def answer(cluster: Cluster, req: dict[str, Any]) -> dict[str, Any] | None:
    op = req.get("op")
    if op == "hello":
        if req.get("version") != VERSION:
            raise AdapterError(f"hello: {NAME} speaks protocol version {VERSION}, not {req.get('version')!r}")
        features = {"events": EVENTS, "options": [], "observes": OBSERVES, "sent": "all", "profile": PROFILE}
        return {"version": VERSION, "name": NAME, "features": features}
    if op == "start":
        cluster.start(req.get("servers"), req.get("options") or {}, req.get("configuration"))
        return {"ok": True}
    if op == "step":
        return cluster.step(cluster.node(req.get("node")), req.get("input"))
    if op == "crash":
        cluster.crash(cluster.node(req.get("node")))
        return {"ok": True}
    if op == "restart":
        return cluster.restart(cluster.node(req.get("node")))
    if op == "observe":
        return {"state": cluster.state(cluster.node(req.get("node")))}
    if op == "stop":
        return {"ok": True}
    raise AdapterError(f"unknown op {op!r}")


def main() -> int:
    stdin = open(sys.stdin.fileno(), "r", encoding="utf-8", newline="\n", closefd=False)
    out = sys.stdout
    cluster = Cluster()
    while True:
        line = stdin.readline()
        if line == "":
            return 0  # the tool closed our stdin
        if not line.strip():
            continue
        debug(f"<- {line.rstrip()}")
        rid: Any = None
        stop = False
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise AdapterError("a request must be a JSON object")
            rid = req.get("id")
            stop = req.get("op") == "stop"
            body = answer(cluster, req)
            resp = {"id": rid, **(body or {})}
        except Exception as e:  # the implementation threw or refused: a finding, reported as `error`
            if not isinstance(e, AdapterError):
                traceback.print_exc(file=sys.stderr)
            resp = {"id": rid, "error": f"{type(e).__name__}: {e}" if not isinstance(e, AdapterError) else str(e)}
        text = json.dumps(resp, separators=(",", ":"), allow_nan=False)
        debug(f"-> {text}")
        out.write(text + "\n")
        out.flush()
        if stop:
            return 0


if __name__ == "__main__":
    sys.exit(main())
