"""A confluent-kafka consumer group member that runs until it is killed or told to stop.

  ck_group_member.py --bootstrap H:P --topic T --group G [--config k=v]...

Reads records of T as a member of G; the partition.assignment.strategy (e.g. cooperative-sticky)
and group.instance.id come in with --config. Offsets are stored per record and committed
automatically, and synchronously whenever partitions are revoked, so a clean rebalance
re-delivers nothing. A line "stop" on stdin (or stdin closing) closes the consumer cleanly:
last commit, LeaveGroup. stdout, one JSON object per line:
  {"ev": "assigned" | "revoked" | "lost", "partitions": [...], "owned": [...], "t": ms}
  {"ev": "record", "p": partition, "o": offset, "v": value (utf-8), "t": ms}
  {"ev": "error", ...}
  {"ev": "closed"}
"""
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException

from common import base_parser, emit, error_dict, parse_config


def now_ms():
    return int(time.time() * 1000)


def main():
    ap = base_parser(__doc__)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--group', required=True)
    args = ap.parse_args()

    stop = threading.Event()

    def watch_stdin():
        for line in sys.stdin:
            if line.strip() == 'stop':
                break
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()

    conf = {
        'bootstrap.servers': args.bootstrap,
        'group.id': args.group,
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': True,
        'auto.commit.interval.ms': 200,
        'enable.auto.offset.store': False,
        'error_cb': lambda e: emit(dict(ev='error', **error_dict(e))),
    }
    conf.update(parse_config(args.config))
    consumer = Consumer(conf)
    owned = set()

    def on_assign(c, partitions):
        owned.update(p.partition for p in partitions)
        emit({'ev': 'assigned', 'partitions': sorted(p.partition for p in partitions), 'owned': sorted(owned), 't': now_ms()})

    def on_revoke(c, partitions):
        try:
            c.commit(asynchronous=False)
        except KafkaException:
            pass  # nothing stored yet
        owned.difference_update(p.partition for p in partitions)
        emit({'ev': 'revoked', 'partitions': sorted(p.partition for p in partitions), 'owned': sorted(owned), 't': now_ms()})

    def on_lost(c, partitions):
        owned.difference_update(p.partition for p in partitions)
        emit({'ev': 'lost', 'partitions': sorted(p.partition for p in partitions), 'owned': sorted(owned), 't': now_ms()})

    consumer.subscribe([args.topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    try:
        while not stop.is_set():
            msg = consumer.poll(0.1)
            if msg is None:
                continue
            if msg.error() is not None:
                emit(dict(ev='error', **error_dict(msg.error())))
                continue
            value = msg.value()
            emit({'ev': 'record', 'p': msg.partition(), 'o': msg.offset(), 'v': None if value is None else value.decode('utf-8', 'replace'), 't': now_ms()})
            consumer.store_offsets(message=msg)
    finally:
        consumer.close()
        emit({'ev': 'closed'})


if __name__ == '__main__':
    main()
