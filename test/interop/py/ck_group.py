"""A confluent-kafka group consumer: subscribe, read N records, commit, read the commit back, close.

Used by tools/capture-golden.ts to record the group protocol (FindCoordinator, JoinGroup,
SyncGroup, Heartbeat, OffsetCommit, OffsetFetch, LeaveGroup) as librdkafka sends it.
  ck_group.py --bootstrap H:P --topic T --group G [--expect N] [--timeout S] [--config k=v]...
stdout: {"consumed": n, "committed": [[partition, offset]], "errors": [...], "logs": [...]}
"""
import logging
import time

from confluent_kafka import Consumer, KafkaException

from common import base_parser, collect_logs, emit, error_dict, parse_config


def main():
    ap = base_parser(__doc__)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--group', required=True)
    ap.add_argument('--expect', type=int, default=1)
    ap.add_argument('--timeout', type=float, default=30)
    args = ap.parse_args()
    logs = collect_logs('librdkafka', logging.DEBUG)
    errors = []
    conf = {
        'bootstrap.servers': args.bootstrap,
        'group.id': args.group,
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': False,
        'logger': logging.getLogger('librdkafka'),
        'error_cb': lambda e: errors.append(error_dict(e)),
    }
    conf.update(parse_config(args.config))
    consumer = Consumer(conf)
    consumer.subscribe([args.topic])
    consumed = 0
    committed = []
    deadline = time.time() + args.timeout
    try:
        while consumed < args.expect and time.time() < deadline:
            msg = consumer.poll(0.2)
            if msg is None:
                continue
            if msg.error() is not None:
                errors.append(error_dict(msg.error()))
                continue
            consumed += 1
        if consumed:
            consumer.commit(asynchronous=False)
            parts = consumer.committed(consumer.assignment(), timeout=10)
            committed = sorted([p.partition, p.offset] for p in parts)
    except KafkaException as e:
        errors.append(error_dict(e.args[0]))
    finally:
        consumer.close()
    emit({'consumed': consumed, 'committed': committed, 'errors': errors, 'logs': logs.lines})


if __name__ == '__main__':
    main()
