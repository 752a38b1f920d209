"""A Raft server written from the paper (Figure 2 and section 5), Python 3.11, standard library only.

One RaftServer is one server. It never touches a network or a clock: every input (a message, the
election timer, the heartbeat timer, a client command) is handed to `handle`, which returns what
the server sent and what it answered clients in that step. The surrounding program (adapter.py)
owns the servers; raftspec owns the network and the schedule.

Persistent state (currentTerm, votedFor, log) lives in a Storage object, this server's "disk".
A step works on the server's own copy and writes it to the disk before it returns (PER-1), so a
crash, which throws the RaftServer away, keeps exactly what a real disk would.

Where Figure 2 leaves a choice open (docs/choices.md in the raftspec repository), this server
takes the alternative in PROFILE; the comments name them where they act:

  DEC-3b  on a success, nextIndex = m.matchIndex + 1 (a reordered older success moves it back);
          matchIndex = max(matchIndex, m.matchIndex)
  DEC-5b  empty probes until the leader knows where the follower's log matches
          (matchIndex >= nextIndex - 1); then the entries from nextIndex
  DEC-6b  an AppendEntries carries every entry from nextIndex to the end of the log
  DEC-16b leaderCommit = min(commitIndex, prevLogIndex + len(entries))
  DEC-18b at most one AppendEntries outstanding per follower, except that a heartbeat always
          sends; any AppendEntriesResponse of the term from that follower ends the outstanding one
  DEC-20b a new leader sends nothing on winning; its first AppendEntries go at its next heartbeat
          (or with the next client command)
  DEC-21b a leader or candidate that gets an AppendEntries of a newer term adopts the term,
          becomes a follower, and drops that AppendEntries (no answer; the leader sends again)

Everything else is the model's reading (alternative a): rejections back off only for the current
probe (DEC-4a), commitIndex is volatile (DEC-7a), entries are applied in the step that commits
them (DEC-17a), stale requests are answered (DEC-19a), a follower redirects clients (DEC-23a).
"""
from __future__ import annotations

import copy
from typing import Any

MAX_INT = 2**31 - 1

# The alternatives this server takes at each choice point of docs/choices.md.
PROFILE = {
    "DEC-3": "b",
    "DEC-4": "a",
    "DEC-5": "b",
    "DEC-6": "b",
    "DEC-7": "a",
    "DEC-16": "b",
    "DEC-17": "a",
    "DEC-18": "b",
    "DEC-19": "a",
    "DEC-20": "b",
    "DEC-21": "b",
    "DEC-23": "a",
}

# ---------------------------------------------------------------------------------------------
# The key-value state machine (KV-1) with its client table (CLI-2), as the trace format defines it.

# Client names that are property names of JavaScript's Object.prototype are not client names.
RESERVED_NAMES = frozenset({
    "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__", "__proto__",
    "constructor", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString",
    "toString", "valueOf",
})
_ALLOWED_KEYS = {
    "get": frozenset({"op", "key", "client", "seq"}),
    "put": frozenset({"op", "key", "value", "client", "seq"}),
    "append": frozenset({"op", "key", "value", "client", "seq"}),
    "cas": frozenset({"op", "key", "expected", "value", "client", "seq"}),
}


def _length(s: str) -> int:
    """A string's length as JSON Schema and JavaScript count it (UTF-16 code units)."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def _is_str(v: Any, most: int) -> bool:
    return isinstance(v, str) and _length(v) <= most


def _is_whole(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


def is_kv_command(c: Any) -> bool:
    """Whether a command is one the state machine executes (KvCommand); any other is opaque (KV-1)."""
    if not isinstance(c, dict):
        return False
    op = c.get("op")
    if not isinstance(op, str) or op not in _ALLOWED_KEYS:
        return False
    if any(k not in _ALLOWED_KEYS[op] for k in c):
        return False
    if not _is_str(c.get("key"), 256):
        return False
    if op != "get" and not _is_str(c.get("value"), 4096):
        return False
    if op == "cas":
        if "expected" not in c:
            return False
        if c["expected"] is not None and not _is_str(c["expected"], 4096):
            return False
    if ("client" in c) != ("seq" in c):
        return False
    if "client" in c:
        client = c["client"]
        if not (isinstance(client, str) and 1 <= _length(client) <= 64 and client not in RESERVED_NAMES):
            return False
        seq = c["seq"]
        if not (_is_whole(seq) and 1 <= seq <= MAX_INT):
            return False
    return True


def session_of(c: Any) -> tuple[str | None, Any]:
    """CLI-2: the (client, seq) a command names, or (None, None)."""
    if is_kv_command(c) and "client" in c:
        return c["client"], c["seq"]
    return None, None


class KvMachine:
    """KV-1 and CLI-2: {"data": {key: value}, "sessions": {client: {"seq", "result"}}}."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.sessions: dict[str, dict[str, Any]] = {}

    def execute(self, command: Any) -> tuple[Any, bool]:
        """Apply one committed command; returns (result, duplicate)."""
        if not is_kv_command(command):
            return None, False  # KV-1: opaque, applied without effect
        client, seq = session_of(command)
        if client is not None:
            seen = self.sessions.get(client)
            if seen is not None and seq <= seen["seq"]:
                # CLI-2: executed before; the table keeps the latest result only.
                return (seen["result"] if seq == seen["seq"] else None), True
        key = command["key"]
        current = self.data.get(key)
        op = command["op"]
        if op == "get":
            result: Any = current
        elif op == "put":
            self.data[key] = command["value"]
            result = None
        elif op == "append":
            self.data[key] = (current or "") + command["value"]
            result = None
        else:  # cas
            if current == command["expected"]:
                self.data[key] = command["value"]
                result = True
            else:
                result = False
        if client is not None:
            self.sessions[client] = {"seq": seq, "result": result}
        return result, False

    def to_json(self) -> dict[str, Any]:
        return {"data": dict(self.data), "sessions": copy.deepcopy(self.sessions)}


# ---------------------------------------------------------------------------------------------
# The disk


class Storage:
    """One server's stable storage: what survives a crash (PER-1)."""

    def __init__(self) -> None:
        self.current_term = 0
        self.voted_for: str | None = None
        self.log: list[dict[str, Any]] = []

    def save(self, current_term: int, voted_for: str | None, log: list[dict[str, Any]]) -> None:
        self.current_term = current_term
        self.voted_for = voted_for
        self.log = [{"term": e["term"], "command": copy.deepcopy(e["command"])} for e in log]


# ---------------------------------------------------------------------------------------------
# The server

MESSAGE_TYPES = frozenset({"RequestVote", "RequestVoteResponse", "AppendEntries", "AppendEntriesResponse"})


class RaftServer:
    def __init__(self, node_id: str, servers: list[str], storage: Storage) -> None:
        self.id = node_id
        self.servers = list(servers)
        self.peers = [s for s in self.servers if s != node_id]  # cluster order: the fan-out order
        self.storage = storage
        # Persistent state, as the disk has it.
        self.current_term = storage.current_term
        self.voted_for = storage.voted_for
        self.log: list[dict[str, Any]] = [{"term": e["term"], "command": copy.deepcopy(e["command"])} for e in storage.log]
        # Volatile state: a restart begins here (DEC-7a: commitIndex too).
        self.role = "follower"
        self.commit_index = 0
        self.last_applied = 0
        self.machine = KvMachine()
        self.leader_id: str | None = None  # CLI-1: the leader heard from in currentTerm
        self.votes_granted: list[str] = []
        # Leader state.
        self.next_index: dict[str, int] = {}
        self.match_index: dict[str, int] = {}
        self.outstanding: dict[str, bool] = {}  # DEC-18b
        # LEA-2: index -> term of the commands this server appended as leader, to answer on apply.
        self.awaiting: dict[int, int] = {}
        # What the current step sent and answered.
        self._sent: list[dict[str, Any]] = []
        self._replies: list[dict[str, Any]] = []

    # --- helpers

    def last_index(self) -> int:
        return len(self.log)

    def term_at(self, index: int) -> int:
        return 0 if index == 0 else self.log[index - 1]["term"]

    def is_majority(self, count: int) -> bool:
        return 2 * count > len(self.servers)

    def _send(self, m: dict[str, Any]) -> None:
        self._sent.append(m)

    # --- one step

    def handle(self, inp: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """One input; returns (messages sent, client replies). Persists before it returns (PER-1)."""
        self._sent, self._replies = [], []
        kind = inp.get("type")
        if kind == "electionTimeout":
            self._election_timeout()
        elif kind == "heartbeatTimeout":
            self._heartbeat_timeout()
        elif kind == "clientRequest":
            self._client_request(inp.get("command"))
        elif kind in MESSAGE_TYPES:
            self._message(inp)
        else:
            raise ValueError(f"unsupported input {kind!r}")
        self.storage.save(self.current_term, self.voted_for, self.log)  # PER-1
        sent, replies = self._sent, self._replies
        self._sent, self._replies = [], []
        return sent, replies

    # --- all servers

    def _adopt_term(self, term: int) -> None:
        """ALL-2: a newer term: adopt it, forget the vote and the leader, become a follower."""
        self.current_term = term
        self.voted_for = None
        self.leader_id = None
        self._become_follower()

    def _become_follower(self) -> None:
        self.role = "follower"
        self.votes_granted = []
        self.next_index, self.match_index, self.outstanding = {}, {}, {}

    def _apply(self) -> None:
        """ALL-1 (DEC-17a: in the step that raises commitIndex); LEA-2: answer the clients of our entries."""
        while self.last_applied < self.commit_index:
            self.last_applied += 1
            index = self.last_applied
            entry = self.log[index - 1]
            result, duplicate = self.machine.execute(entry["command"])
            term = self.awaiting.pop(index, None)
            if term is not None and term == entry["term"]:
                client, seq = session_of(entry["command"])
                self._replies.append({"type": "result", "node": self.id, "client": client, "seq": seq,
                                      "index": index, "result": result, "duplicate": duplicate})

    # --- timers and clients

    def _election_timeout(self) -> None:
        if self.role == "leader":
            return  # DEC-9
        # FOL-2 / CAN-4, then CAN-1.
        self.current_term += 1
        self.role = "candidate"
        self.voted_for = self.id
        self.votes_granted = [self.id]
        self.leader_id = None
        self.next_index, self.match_index, self.outstanding = {}, {}, {}
        for peer in self.peers:
            self._send({"type": "RequestVote", "from": self.id, "to": peer, "term": self.current_term,
                        "candidateId": self.id, "lastLogIndex": self.last_index(), "lastLogTerm": self.term_at(self.last_index())})
        if self.is_majority(len(self.votes_granted)):
            self._become_leader()

    def _heartbeat_timeout(self) -> None:
        if self.role != "leader":
            return  # DEC-9
        for peer in self.peers:
            self._send_append_entries(peer, heartbeat=True)  # LEA-1: always sends, even under DEC-18b

    def _client_request(self, command: Any) -> None:
        if self.role != "leader":
            client, seq = session_of(command)
            self._replies.append({"type": "redirect", "node": self.id, "client": client, "seq": seq, "leader": self.leader_id})  # CLI-1
            return
        self.log.append({"term": self.current_term, "command": copy.deepcopy(command)})  # LEA-2
        self.awaiting[self.last_index()] = self.current_term
        self._advance_commit_index()
        self._apply()
        for peer in self.peers:
            self._send_append_entries(peer)  # LEA-3 (DEC-18b: not to a follower with one outstanding)

    # --- messages

    def _message(self, m: dict[str, Any]) -> None:
        if m.get("to") != self.id:
            raise ValueError(f"message to {m.get('to')!r} handed to {self.id!r}")
        if m.get("from") not in self.peers:
            raise ValueError(f"message from {m.get('from')!r}, not a server of the cluster")
        kind = m["type"]
        if m["term"] > self.current_term:
            deposed = self.role in ("leader", "candidate")
            self._adopt_term(m["term"])  # ALL-2
            if kind == "AppendEntries" and deposed:
                return  # DEC-21b: the AppendEntries that deposed a leader or candidate is dropped
        if kind == "RequestVote":
            self._on_request_vote(m)
        elif kind == "RequestVoteResponse":
            self._on_request_vote_response(m)
        elif kind == "AppendEntries":
            self._on_append_entries(m)
        else:
            self._on_append_entries_response(m)

    def _on_request_vote(self, m: dict[str, Any]) -> None:
        granted = False
        if m["term"] >= self.current_term:  # RV-1
            last_term = self.term_at(self.last_index())
            up_to_date = m["lastLogTerm"] > last_term or (m["lastLogTerm"] == last_term and m["lastLogIndex"] >= self.last_index())
            if self.voted_for in (None, m["candidateId"]) and up_to_date:  # RV-2
                self.voted_for = m["candidateId"]
                granted = True
        self._send({"type": "RequestVoteResponse", "from": self.id, "to": m["from"], "term": self.current_term, "voteGranted": granted})

    def _on_request_vote_response(self, m: dict[str, Any]) -> None:
        if self.role != "candidate" or m["term"] < self.current_term:
            return  # DEC-1
        if m["voteGranted"] and m["from"] not in self.votes_granted:
            self.votes_granted.append(m["from"])  # CAN-2
        if self.is_majority(len(self.votes_granted)):
            self._become_leader()

    def _become_leader(self) -> None:
        """CAN-2: nextIndex = last + 1, matchIndex = 0 for every peer. DEC-20b: nothing sent yet."""
        self.role = "leader"
        self.leader_id = self.id
        self.next_index = {p: self.last_index() + 1 for p in self.peers}
        self.match_index = {p: 0 for p in self.peers}
        self.outstanding = {}
        self._advance_commit_index()
        self._apply()

    def _on_append_entries(self, m: dict[str, Any]) -> None:
        prev = m["prevLogIndex"]
        if m["term"] < self.current_term:  # AE-1
            self._reply_append(m, False)
            return
        if self.role == "leader":
            return  # DEC-8: no second leader in a term (Election Safety)
        if self.role == "candidate":
            self._become_follower()  # CAN-3
        self.leader_id = m["leaderId"]
        if prev > 0 and (prev > self.last_index() or self.term_at(prev) != m["prevLogTerm"]):  # AE-2
            self._reply_append(m, False)
            return
        entries = m["entries"]
        for k, entry in enumerate(entries):
            index = prev + 1 + k
            if index <= self.last_index():
                if self.term_at(index) == entry["term"]:
                    continue  # already held: nothing is truncated
                del self.log[index - 1:]  # AE-3: a real conflict
            self.log.extend({"term": e["term"], "command": copy.deepcopy(e["command"])} for e in entries[k:])  # AE-4
            break
        if m["leaderCommit"] > self.commit_index:  # AE-5, never back
            self.commit_index = max(self.commit_index, min(m["leaderCommit"], prev + len(entries)))
        self._apply()
        self._reply_append(m, True)

    def _reply_append(self, m: dict[str, Any], success: bool) -> None:
        self._send({"type": "AppendEntriesResponse", "from": self.id, "to": m["from"], "term": self.current_term,
                    "success": success, "matchIndex": m["prevLogIndex"] + len(m["entries"]) if success else 0,
                    "prevLogIndex": m["prevLogIndex"]})

    def _on_append_entries_response(self, m: dict[str, Any]) -> None:
        if self.role != "leader" or m["term"] < self.current_term:
            return  # DEC-1
        peer = m["from"]
        if m["success"] and m["matchIndex"] > self.last_index():
            return  # DEC-8: no request of ours asked for that
        self.outstanding.pop(peer, None)  # DEC-18b: the outstanding request is answered
        if m["success"]:
            self.match_index[peer] = max(self.match_index[peer], m["matchIndex"])  # LEA-3a
            self.next_index[peer] = m["matchIndex"] + 1  # DEC-3b
            self._advance_commit_index()
            self._apply()
            if self.last_index() >= self.next_index[peer]:
                self._send_append_entries(peer)  # LEA-3: still behind
        elif m["prevLogIndex"] == self.next_index[peer] - 1:
            # LEA-3b, DEC-4a: a rejection of the current probe backs off and retries.
            self.next_index[peer] = max(m["prevLogIndex"], self.match_index[peer] + 1, 1)
            self._send_append_entries(peer)

    # --- leaders

    def _send_append_entries(self, peer: str, heartbeat: bool = False) -> None:
        if not heartbeat and self.outstanding.get(peer):
            return  # DEC-18b: one outstanding per follower
        self.outstanding[peer] = True
        next_index = self.next_index[peer]
        prev = next_index - 1
        if self.match_index[peer] < prev:
            entries: list[dict[str, Any]] = []  # DEC-5b: an empty probe until the match point is known
        else:
            entries = [{"term": e["term"], "command": copy.deepcopy(e["command"])} for e in self.log[prev:]]  # DEC-6b
        self._send({"type": "AppendEntries", "from": self.id, "to": peer, "term": self.current_term, "leaderId": self.id,
                    "prevLogIndex": prev, "prevLogTerm": self.term_at(prev), "entries": entries,
                    "leaderCommit": min(self.commit_index, prev + len(entries))})  # DEC-16b

    def _advance_commit_index(self) -> None:
        """LEA-4: the highest N > commitIndex on a majority (the leader counts itself), of the current term."""
        for n in range(self.last_index(), self.commit_index, -1):
            replicas = 1 + sum(1 for p in self.peers if self.match_index[p] >= n)
            if self.is_majority(replicas) and self.log[n - 1]["term"] == self.current_term:
                self.commit_index = n
                break

    # --- what the adapter observes

    def observe(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "currentTerm": self.current_term,
            "votedFor": self.voted_for,
            "log": [{"term": e["term"], "command": copy.deepcopy(e["command"])} for e in self.log],
            "commitIndex": self.commit_index,
            "lastApplied": self.last_applied,
            "machine": self.machine.to_json(),
            "leaderId": self.leader_id,
            "nextIndex": dict(self.next_index),
            "matchIndex": dict(self.match_index),
            "votesGranted": list(self.votes_granted),
        }


OBSERVES = ["role", "currentTerm", "votedFor", "log", "commitIndex", "lastApplied", "machine", "leaderId",
            "nextIndex", "matchIndex", "votesGranted"]
