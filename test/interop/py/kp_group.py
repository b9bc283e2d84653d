"""A kafka-python group consumer: subscribe, read N records, commit, read the commit back, close.

Used by tools/capture-golden.ts to record the group protocol as kafka-python sends it (at its
auto-detected api_version or an older one given with --api-version).
  kp_group.py --bootstrap H:P --topic T --group G [--expect N] [--api-version 0.9] [--timeout S]
stdout: {"consumed": n, "committed": {partition: offset}, "errors": [...], "logs": [...]}
"""
import time

from kafka import KafkaConsumer, TopicPartition

from common import base_parser, collect_logs, emit, error_dict, parse_api_version, parse_config


def main():
    ap = base_parser(__doc__)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--group', required=True)
    ap.add_argument('--expect', type=int, default=1)
    ap.add_argument('--api-version', default=None)
    ap.add_argument('--timeout', type=float, default=30)
    ap.add_argument('--linger', type=float, default=1.5, help='seconds to stay in the group after reading (heartbeats)')
    args = ap.parse_args()
    logs = collect_logs('kafka')
    conf = {
        'bootstrap_servers': args.bootstrap,
        'group_id': args.group,
        'client_id': 'samsa-interop-kp',
        'auto_offset_reset': 'earliest',
        'enable_auto_commit': False,
        'heartbeat_interval_ms': 500,
    }
    api_version = parse_api_version(args.api_version)
    if api_version is not None:
        conf['api_version'] = api_version
    conf.update(parse_config(args.config))
    errors = []
    consumed = 0
    committed = {}
    consumer = KafkaConsumer(**conf)
    try:
        consumer.subscribe([args.topic])
        deadline = time.time() + args.timeout
        while consumed < args.expect and time.time() < deadline:
            for _tp, msgs in consumer.poll(timeout_ms=200).items():
                consumed += len(msgs)
        linger_until = time.time() + args.linger
        while time.time() < linger_until:
            consumer.poll(timeout_ms=200)
        if consumed:
            consumer.commit()
            for tp in consumer.assignment():
                committed[str(tp.partition)] = consumer.committed(tp)
    except Exception as e:  # noqa: BLE001 - reported
        errors.append(error_dict(e))
    finally:
        consumer.close()
    emit({'consumed': consumed, 'committed': committed, 'errors': errors, 'logs': logs.lines})


if __name__ == '__main__':
    main()
