"""What each simulated phone knows, and when its submissions reach the server.

A phone downloads the register lists whenever it is online; during an offline stretch it works
from the lists of the stretch's first day and queues what it fills, then sends the queue
oldest-first when the stretch ends (sometimes one item slips ahead of the one before it: a
failed upload retried after the next). That decides, like Collect does, each entity update's
`baseVersion`, `trunkVersion` and `branchId`, and which entities the phone can pick at all.

Versions are counted the way the server counts them: every create or update that reaches the
server is one version, applied when it arrives, or, for an offline chain whose predecessor is
still on its way, when that predecessor arrives (the server holds it in its backlog until
then).
"""
import bisect
import datetime as dt
import uuid as uuidlib


def new_uuid(rng):
    return str(uuidlib.UUID(int=rng.getrandbits(128), version=4))


class Fleet:
    """Offline stretches and arrival times per phone."""

    def __init__(self, rng, start, end, late_rate, out_of_order_rate):
        self.rng = rng
        self.start, self.end = start, end
        self.late_rate = late_rate
        self.out_of_order_rate = out_of_order_rate
        self.stretches = {}      # phone -> sorted [(start, end)]
        self.last_arrival = {}
        self.late = 0            # submissions that waited in an offline queue
        self.swapped = 0         # submissions that arrived before the one filled before them

    def add(self, phone, goes_offline, not_before):
        """Register a phone; one that goes offline gets stretches of 3–14 days covering about
        `late_rate` of its days after `not_before`."""
        stretches = []
        if goes_offline and self.late_rate > 0:
            day = not_before
            while day < self.end:
                length = self.rng.randint(3, 14)
                gap = int(length * (1 - self.late_rate) / self.late_rate)
                day += dt.timedelta(days=self.rng.randint(gap // 2, gap * 3 // 2 + 1))
                if day >= self.end:
                    break
                stretches.append((day, day + dt.timedelta(days=length)))
                day += dt.timedelta(days=length)
        self.stretches[phone] = stretches

    def _stretch(self, phone, t):
        stretches = self.stretches[phone]
        i = bisect.bisect_right(stretches, (t, dt.datetime.max)) - 1
        if i >= 0 and stretches[i][0] <= t < stretches[i][1]:
            return stretches[i]
        return None

    def sync_time(self, phone, t):
        """When the phone last downloaded the lists, as of time t."""
        stretch = self._stretch(phone, t)
        return stretch[0] if stretch else t

    def next_sync(self, phone, t):
        """The first moment at or after t when the phone is online."""
        stretch = self._stretch(phone, t)
        return stretch[1] if stretch else t

    def arrival(self, phone, filled):
        """When a submission filled at `filled` reaches the server (called in fill order)."""
        stretch = self._stretch(phone, filled)
        if stretch is None:
            arrival = filled + dt.timedelta(minutes=self.rng.randint(1, 30))
        else:
            self.late += 1
            # sent oldest-first when the stretch ends, a few seconds apart
            offset = (filled - stretch[0]).total_seconds() / 1000
            arrival = stretch[1] + dt.timedelta(seconds=60 + offset)
            previous = self.last_arrival.get(phone)
            if (previous is not None and previous >= stretch[1]
                    and self.rng.random() < self.out_of_order_rate):
                self.swapped += 1
                arrival = previous - dt.timedelta(milliseconds=1)
        self.last_arrival[phone] = max(arrival, self.last_arrival.get(phone, arrival))
        return arrival


class Versions:
    """Each entity's versions as the server will apply them, and each phone's offline chains."""

    def __init__(self, fleet, rng):
        self.fleet, self.rng = fleet, rng
        self.applied = {}        # entity -> [apply time of v1, v2, …] (in fill order)
        self.creator = {}        # entity -> (phone, fill time)
        self.chains = {}         # (phone, entity) -> dict(branch, trunk, next_base, apply, arrival)
        self.closed = {}         # pregnancy entity -> (phone, fill time, apply time) of its end

    def create(self, phone, entity, filled, arrival):
        self.applied[entity] = [arrival]
        self.creator[entity] = (phone, filled)

    def created_at(self, entity):
        applied = self.applied.get(entity)
        return applied[0] if applied else None

    def known(self, phone, entity, t):
        """Can the phone pick this entity from its lists at time t?"""
        creator = self.creator.get(entity)
        if creator is None:
            return False
        if creator[0] == phone and creator[1] <= t:
            return True
        return self.applied[entity][0] <= self.fleet.sync_time(phone, t)

    def known_from(self, phone, entity, t):
        """The first time at or after t when the phone knows the entity, or None (never
        created, so far)."""
        created = self.created_at(entity)
        if created is None:
            return None
        when = max(t, created)
        return self.fleet.next_sync(phone, when)

    def closed_for(self, phone, entity, t):
        """Does the phone see this pregnancy as ended?"""
        closed = self.closed.get(entity)
        if closed is None:
            return False
        if closed[0] == phone and closed[1] <= t:
            return True
        return closed[2] <= self.fleet.sync_time(phone, t)

    def update(self, phone, entity, filled, arrival):
        """(baseVersion, trunkVersion, branchId, apply time) for an update made on the phone."""
        sync = self.fleet.sync_time(phone, filled)
        chain = self.chains.get((phone, entity))
        creator = self.creator[entity]
        own_pending_create = creator[0] == phone and self.applied[entity][0] > filled
        if chain is not None and chain["arrival"] > filled:
            base, trunk, branch = chain["next_base"], chain["trunk"], chain["branch"]
            after = chain["apply"]
        elif own_pending_create:
            base, trunk, branch = 1, None, new_uuid(self.rng)
            after = self.applied[entity][0]
        else:
            server = sum(1 for a in self.applied[entity] if a <= sync)
            base, trunk, branch = server, server, new_uuid(self.rng)
            after = arrival
        apply = max(arrival, after)
        self.chains[(phone, entity)] = {"branch": branch, "trunk": trunk, "next_base": base + 1,
                                        "apply": apply,
                                        "arrival": max(arrival, (chain or {}).get("arrival",
                                                                                  arrival))}
        self.applied[entity].append(apply)
        return str(base), "" if trunk is None else str(trunk), branch, apply

    def settle(self, phone, entities, apply):
        """A submission's entity changes apply together (all or none): when one of them waits
        for its predecessor, so do the others. Move each to the submission's apply time."""
        for entity in entities:
            self.applied[entity][-1] = apply
            chain = self.chains.get((phone, entity))
            if chain is not None and chain["apply"] < apply:
                chain["apply"] = apply
