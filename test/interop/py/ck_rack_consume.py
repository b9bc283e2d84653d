"""Reads one partition with confluent-kafka from the beginning, in two phases, with client.rack
(KIP-392) and librdkafka's statistics, so that a test can see which broker it fetches from.

  ck_rack_consume.py --bootstrap H:P --topic T --rack R --first N1 --expect N [--timeout S]
                     [--config k=v]...
stdout: {"phase": 1, "records": N1', "stats": {...}} once it holds at least N1 records; it then
waits for a line on stdin before it goes on (the test pauses a broker meanwhile), and at the end
{"phase": 2, "records": [[offset, value hex], ...], "stats": {...}, "errors": [...], "logs": [...]}.
"stats" is the partition's view in librdkafka's latest statistics: "broker" (the broker it
fetches from), "leader", and the Fetch requests sent per broker id.
"""
import json
import logging
import sys
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition, OFFSET_BEGINNING

from common import base_parser, collect_logs, emit, error_dict, hexb, parse_config


def main():
    ap = base_parser(__doc__)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--rack', required=True)
    ap.add_argument('--first', type=int, required=True)
    ap.add_argument('--expect', type=int, required=True)
    ap.add_argument('--timeout', type=float, default=60)
    args = ap.parse_args()

    logs = collect_logs('librdkafka', logging.DEBUG)
    errors = []
    latest = {}

    def on_stats(text):
        latest['stats'] = json.loads(text)

    conf = {
        'bootstrap.servers': args.bootstrap,
        'group.id': 'samsa-rack-consume',
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'client.rack': args.rack,
        'statistics.interval.ms': 100,
        'stats_cb': on_stats,
        'logger': logging.getLogger('librdkafka'),
        'error_cb': lambda e: errors.append(error_dict(e)),
    }
    conf.update(parse_config(args.config))
    consumer = Consumer(conf)
    consumer.assign([TopicPartition(args.topic, 0, OFFSET_BEGINNING)])

    records = []
    pending = []

    def view():
        """Waits for fresh statistics: the partition's fetch broker, its leader, Fetch requests per broker id."""
        latest.pop('stats', None)
        deadline = time.time() + 5
        while 'stats' not in latest and time.time() < deadline:
            # stats_cb is served from consume(); what it returns is kept for the reading loop.
            pending.extend(consumer.consume(num_messages=1000, timeout=0.05))
        s = latest.get('stats', {})
        part = s.get('topics', {}).get(args.topic, {}).get('partitions', {}).get('0', {})
        fetches = {str(b['nodeid']): b.get('req', {}).get('Fetch', 0) for b in s.get('brokers', {}).values() if b.get('nodeid', -1) >= 0}
        return {'broker': part.get('broker'), 'leader': part.get('leader'), 'fetches': fetches}

    deadline = time.time() + args.timeout
    phase = 1
    eof = False
    while time.time() < deadline:
        batch = list(pending) or consumer.consume(num_messages=100, timeout=0.2)
        pending.clear()
        for msg in batch:
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    eof = True
                else:
                    errors.append(error_dict(err))
                continue
            eof = False
            records.append([msg.offset(), hexb(msg.value())])
        if phase == 1 and len(records) >= args.first:
            emit({'phase': 1, 'records': len(records), 'stats': view()})
            sys.stdin.readline()
            phase = 2
            continue
        if phase == 2 and eof and len(records) >= args.expect:
            break
    # Printed before close(): the test resumes a paused broker once it has this line.
    emit({'phase': 2, 'records': records, 'stats': view(), 'errors': errors, 'logs': logs.lines[-60:]})
    consumer.close()


if __name__ == '__main__':
    main()
