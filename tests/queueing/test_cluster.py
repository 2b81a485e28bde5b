"""The waiting room on a Redis Cluster: one concert, one slot; concerts spread over shards.

The cluster tests run when QUEUE_REDIS_CLUSTER=1 (`make test-cluster` starts a 3-master
cluster on loopback); the slot arithmetic holds everywhere.
"""

import pytest
import redis
from django.conf import settings
from redis.cluster import RedisCluster
from redis.crc import key_slot

from config.redis import get_queue_redis
from queueing import redis_queue

on_cluster = pytest.mark.skipif(
    not settings.QUEUE_REDIS_CLUSTER,
    reason="needs a Redis Cluster: QUEUE_REDIS_CLUSTER=1 QUEUE_REDIS_URL=redis://node (make test-cluster)",
)

CONCERTS = range(1, 13)
# A script that writes two keys it was given: harmless on one server, refused across slots.
TOUCH_TWO_KEYS = "redis.call('SET', KEYS[1], '1'); redis.call('SET', KEYS[2], '1'); return 1"


def test_every_key_of_a_concert_hashes_to_one_slot():
    for concert_id in CONCERTS:
        slots = {key_slot(key.encode()) for key in redis_queue.concert_keys(concert_id).all()}
        assert len(slots) == 1, (concert_id, slots)


def test_two_concerts_hash_to_different_slots():
    slots = {key_slot(redis_queue.concert_keys(c).waiting.encode()) for c in CONCERTS}
    assert len(slots) == len(CONCERTS)


@on_cluster
def test_concerts_spread_over_every_master():
    cluster = get_queue_redis()
    masters = {f"{node.host}:{node.port}" for node in cluster.get_primaries()}
    owner = {
        concert_id: cluster.get_node_from_key(redis_queue.concert_keys(concert_id).waiting)
        for concert_id in CONCERTS
    }

    assert len(masters) >= 3
    assert {f"{node.host}:{node.port}" for node in owner.values()} == masters
    # The client's routing agrees with the servers: each master holds its concerts' keys.
    for concert_id in CONCERTS:
        redis_queue.set_cap(concert_id, 7)
    for concert_id, node in owner.items():
        direct = redis.Redis(host=node.host, port=node.port, decode_responses=True)
        assert direct.hget(redis_queue.concert_keys(concert_id).control, "cap") == "7"
        direct.close()


@on_cluster
def test_a_script_spanning_two_concerts_is_refused_by_the_cluster():
    cluster = get_queue_redis()
    one, other = (redis_queue.concert_keys(c).control for c in (1, 2))

    # The client refuses to route it (no single slot) ...
    with pytest.raises(redis.exceptions.RedisClusterException):
        cluster.eval(TOUCH_TWO_KEYS, 2, one, other)
    # ... and the server refuses it too (CROSSSLOT), even on the node owning the first key.
    node = cluster.get_node_from_key(one)
    direct = redis.Redis(host=node.host, port=node.port)
    with pytest.raises(redis.exceptions.ResponseError, match="hash to the same slot"):
        direct.eval(TOUCH_TWO_KEYS, 2, one, other)
    direct.close()
    # The same script on two keys of one concert runs.
    assert cluster.eval(TOUCH_TWO_KEYS, 2, one, redis_queue.concert_keys(1).meta) == 1


@on_cluster
def test_the_queue_client_is_a_cluster_client():
    assert isinstance(get_queue_redis(), RedisCluster)
