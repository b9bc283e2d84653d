"""Produces a records file with kafka-python and prints what every send returned.

  kp_produce.py --bootstrap H:P --topic T --records FILE [--compression gzip]
                [--api-version 0.10.1] [--config key=value]...
Headers are sent only when the file's records have them (kafka-python needs api_version >= 0.11).
stdout: {"reports": [{"i", "p", "o", "ts", "err"}], "api_version": [..], "codecs": {...}, "logs": [...]}
"""
import logging

from kafka import KafkaProducer
from kafka import codec as kcodec

from common import base_parser, collect_logs, emit, error_dict, load_records, parse_api_version, parse_config, unhex


def main():
    ap = base_parser(__doc__)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--records', required=True)
    ap.add_argument('--compression', default='none')
    ap.add_argument('--api-version', default=None)
    ap.add_argument('--timeout', type=float, default=60)
    args = ap.parse_args()
    logs = collect_logs('kafka')

    conf = {
        'bootstrap_servers': args.bootstrap,
        'compression_type': None if args.compression == 'none' else args.compression,
        'linger_ms': 5,
        'client_id': 'samsa-interop-kp',
    }
    api_version = parse_api_version(args.api_version)
    if api_version is not None:
        conf['api_version'] = api_version
    conf.update(parse_config(args.config))
    producer = KafkaProducer(**conf)

    records = load_records(args.records)
    futures = []
    for i, r in enumerate(records):
        kwargs = {'key': unhex(r.get('k')), 'value': unhex(r.get('v'))}
        if r.get('h'):
            kwargs['headers'] = [(name, unhex(val)) for name, val in r['h']]
        if r.get('ts') is not None:
            kwargs['timestamp_ms'] = r['ts']
        if r.get('p') is not None:
            kwargs['partition'] = r['p']
        try:
            futures.append(producer.send(args.topic, **kwargs))
        except Exception as e:  # noqa: BLE001 - e.g. KafkaTimeoutError when metadata never comes
            futures.append(e)
    producer.flush(timeout=args.timeout)
    reports = []
    for i, f in enumerate(futures):
        if isinstance(f, Exception):
            reports.append({'i': i, 'p': None, 'o': None, 'ts': None, 'err': error_dict(f)})
            continue
        try:
            md = f.get(timeout=args.timeout)
            reports.append({'i': i, 'p': md.partition, 'o': md.offset, 'ts': md.timestamp, 'err': None})
        except Exception as e:  # noqa: BLE001
            reports.append({'i': i, 'p': None, 'o': None, 'ts': None, 'err': error_dict(e)})
    used = list(producer.config['api_version'])
    producer.close(timeout=10)
    emit({
        'reports': reports,
        'api_version': used,
        'codecs': {'gzip': kcodec.has_gzip(), 'snappy': kcodec.has_snappy(), 'lz4': kcodec.has_lz4(), 'zstd': kcodec.has_zstd()},
        'logs': logs.lines,
    })


if __name__ == '__main__':
    main()
