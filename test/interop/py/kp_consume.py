"""Reads partitions with kafka-python (no group) from a start offset up to their end offsets.

  kp_consume.py --bootstrap H:P --topic T [--partitions 0,1] [--offset beginning|end|N]
                [--expect N] [--api-version 0.10.1] [--timeout S] [--config key=value]...
Without --expect it reads until the end offsets seen at start; with --expect until N records.
stdout: {"records": [...], "errors": [...], "positions": {partition: offset}, "api_version": [..], "logs": [...]}
"""
import time

from kafka import KafkaConsumer, TopicPartition

from common import base_parser, collect_logs, emit, error_dict, hexb, parse_api_version, parse_config

TSTYPES = {0: 'create', 1: 'logappend', -1: 'none', None: 'none'}


def main():
    ap = base_parser(__doc__)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--partitions', default=None)
    ap.add_argument('--offset', default='beginning')
    ap.add_argument('--expect', type=int, default=None)
    ap.add_argument('--api-version', default=None)
    ap.add_argument('--timeout', type=float, default=60)
    args = ap.parse_args()
    logs = collect_logs('kafka')

    conf = {
        'bootstrap_servers': args.bootstrap,
        'group_id': None,
        'enable_auto_commit': False,
        'client_id': 'samsa-interop-kp',
    }
    api_version = parse_api_version(args.api_version)
    if api_version is not None:
        conf['api_version'] = api_version
    conf.update(parse_config(args.config))
    consumer = KafkaConsumer(**conf)
    errors = []
    records = []
    positions = {}
    tps = []
    try:
        if args.partitions is None:
            parts = None
            deadline = time.time() + 10
            while parts is None and time.time() < deadline:
                parts = consumer.partitions_for_topic(args.topic)
                if parts is None:
                    time.sleep(0.2)
            if parts is None:
                raise RuntimeError('no metadata for topic %s' % args.topic)
            partitions = sorted(parts)
        else:
            partitions = [int(p) for p in args.partitions.split(',')]
        tps = [TopicPartition(args.topic, p) for p in partitions]
        consumer.assign(tps)
        if args.offset == 'beginning':
            consumer.seek_to_beginning(*tps)
        elif args.offset == 'end':
            consumer.seek_to_end(*tps)
        else:
            for tp in tps:
                consumer.seek(tp, int(args.offset))
        targets = None if args.expect is not None else consumer.end_offsets(tps)

        def done():
            if args.expect is not None:
                return len(records) >= args.expect
            return all(consumer.position(tp) >= targets[tp] for tp in tps)

        deadline = time.time() + args.timeout
        while time.time() < deadline and not done():
            batch = consumer.poll(timeout_ms=200)
            for tp, msgs in batch.items():
                for m in msgs:
                    records.append({
                        'p': m.partition,
                        'o': m.offset,
                        'ts': m.timestamp,
                        'tt': TSTYPES.get(m.timestamp_type, str(m.timestamp_type)),
                        'k': hexb(m.key),
                        'v': hexb(m.value),
                        'h': [[name, hexb(val)] for name, val in (m.headers or [])],
                    })
        for tp in tps:
            positions[str(tp.partition)] = consumer.position(tp)
    except Exception as e:  # noqa: BLE001 - reported to the test
        errors.append(error_dict(e))
    used = list(consumer.config['api_version'])
    consumer.close()
    emit({'records': records, 'errors': errors, 'positions': positions, 'api_version': used, 'logs': logs.lines})


if __name__ == '__main__':
    main()
