"""Produces a records file with confluent-kafka (librdkafka) and prints every delivery report.

  ck_produce.py --bootstrap H:P --topic T --records FILE [--compression gzip] [--config k=v]...
stdout: {"reports": [{"i", "p", "o", "ts", "err"}], "errors": [...], "logs": [...], "unflushed": n}
"""
import logging
import time

from confluent_kafka import Producer, KafkaException

from common import base_parser, collect_logs, emit, error_dict, load_records, parse_config, unhex


def main():
    ap = base_parser(__doc__)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--records', required=True)
    ap.add_argument('--compression', default='none')
    ap.add_argument('--timeout', type=float, default=60)
    args = ap.parse_args()

    logs = collect_logs('librdkafka', logging.DEBUG)
    global_errors = []
    conf = {
        'bootstrap.servers': args.bootstrap,
        'compression.codec': args.compression,
        'linger.ms': 5,
        'logger': logging.getLogger('librdkafka'),
        'error_cb': lambda e: global_errors.append(error_dict(e)),
    }
    conf.update(parse_config(args.config))
    producer = Producer(conf)

    records = load_records(args.records)
    reports = [None] * len(records)

    def report(i):
        def cb(err, msg):
            ts = msg.timestamp()
            reports[i] = {
                'i': i,
                'p': msg.partition(),
                'o': msg.offset() if err is None else None,
                'ts': ts[1] if ts else None,
                'err': error_dict(err),
            }
        return cb

    for i, r in enumerate(records):
        kwargs = {'key': unhex(r.get('k')), 'value': unhex(r.get('v')), 'on_delivery': report(i)}
        if r.get('h') is not None:
            kwargs['headers'] = [(name, unhex(val)) for name, val in r['h']]
        if r.get('ts') is not None:
            kwargs['timestamp'] = r['ts']
        if r.get('p') is not None:
            kwargs['partition'] = r['p']
        while True:
            try:
                producer.produce(args.topic, **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
            except KafkaException as e:
                reports[i] = {'i': i, 'p': None, 'o': None, 'ts': None, 'err': error_dict(e.args[0])}
                break
        producer.poll(0)
    try:
        unflushed = producer.flush(args.timeout)
    except KafkaException as e:  # a fatal error (e.g. idempotence the broker cannot do)
        global_errors.append(error_dict(e.args[0]))
        unflushed = len(producer)
    emit({'reports': reports, 'errors': global_errors, 'logs': logs.lines, 'unflushed': unflushed})


if __name__ == '__main__':
    main()
