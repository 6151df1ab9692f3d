"""The audit log's hash chain, as plain functions: an entry's canonical form, its hash, and the
walk that finds the first broken link of a chain. No database here (app.audit.record appends,
app.audit.verify reads); docs/audit.md gives the same rules for an outsider's script."""
import hashlib
import json
from dataclasses import dataclass

#: the prev_hash of a chain's first entry
GENESIS = "0" * 64


def canonical_details(details):
    """`details` as JSON gives it back from either database: keys as strings, tuples as
    lists, and a float with an integral value as an integer (PostgreSQL's JSONB prints 1e20
    as 100000000000000000000, which reads back as an int)."""
    if details is None:
        return None
    return _integral(json.loads(json.dumps(details)))


def _integral(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    return value


def timestamp(value):
    """logged_at in the canonical form: naive UTC, microseconds."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def body(project_id, actor_type, actor_id, action, target, details, logged_at):
    """What is hashed after the previous hash: a newline, then the entry's fields as JSON
    with sorted keys, no spaces, ASCII only (non-ASCII as \\u escapes)."""
    return "\n" + json.dumps(
        {"project_id": project_id, "actor_type": actor_type, "actor_id": actor_id,
         "action": action, "target": target, "details": details,
         "logged_at": timestamp(logged_at)},
        sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def link(prev_hash, entry_body):
    """An entry's hash: SHA-256, hex, of the previous hash followed by its body."""
    return hashlib.sha256((prev_hash + entry_body).encode("ascii")).hexdigest()


def row_hash(row):
    """The hash an audit_events row should carry (any object with its columns)."""
    return link(row.prev_hash or "", body(row.project_id, row.actor_type, row.actor_id,
                                          row.action, row.target, row.details, row.logged_at))


@dataclass
class Break:
    """The first broken link of a chain: `kind` is edited (an entry's hash no longer matches
    its fields), inserted (an entry that the chain skips over), deleted (entries missing
    before `id`, or at the chain's end) or head (the chain and its head row disagree in a way
    none of those explains); `id` is the audit_events id where it shows."""
    kind: str
    id: int | None
    message: str


@dataclass
class Walked:
    length: int
    head: str
    hashes: set
    broken: Break | None


def walk(rows, head=None):
    """Walk a chain's rows in id order against its head row (length, prev_hash, hash; None
    when there is none) and return Walked with the first break found, if any."""
    expected, last, n, hashes = GENESIS, None, 0, set()
    rows = iter(rows)
    row = next(rows, None)
    while row is not None:
        after = next(rows, None)
        n += 1
        if row_hash(row) != row.hash:
            return Walked(n, expected, hashes, Break(
                "edited", row.id, f"entry {row.id}'s hash does not match its fields"))
        if row.prev_hash != expected:
            if after is not None and after.prev_hash == expected:
                return Walked(n, expected, hashes, Break(
                    "inserted", row.id, f"entry {row.id} was inserted: the entry after it "
                    "links to the one before it"))
            if last is not None and row.prev_hash == last.prev_hash:
                return Walked(n, expected, hashes, Break(
                    "inserted", last.id, f"entry {last.id} was inserted: entry {row.id} links "
                    "to the one before it"))
            return Walked(n, expected, hashes, Break(
                "deleted", row.id, f"entries are missing (or were replaced) before entry "
                f"{row.id}: its prev_hash matches no entry before it"))
        expected, last = row.hash, row
        hashes.add(row.hash)
        row = after
    if head is None:
        broken = None if n == 0 else Break(
            "head", None, f"the chain has {n} entries but no head row")
        return Walked(n, expected, hashes, broken)
    if head.hash == expected and head.length == n:
        return Walked(n, expected, hashes, None)
    last_id = last.id if last is not None else None
    if head.length > n and head.hash not in hashes:
        return Walked(n, expected, hashes, Break(
            "deleted", last_id, f"the head counts {head.length} entries, the chain has {n}: "
            f"the last {head.length - n} entries (after entry {last_id}) were deleted"))
    if head.length < n and head.hash in hashes:
        return Walked(n, expected, hashes, Break(
            "inserted", last_id, f"the head counts {head.length} entries, the chain has {n}: "
            f"entries were added after the head"))
    return Walked(n, expected, hashes, Break(
        "head", last_id, f"the head row ({head.length} entries, {head.hash}) does not match "
        f"the chain's end ({n} entries, {expected})"))
