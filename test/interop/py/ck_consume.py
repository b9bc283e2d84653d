"""Reads partitions with confluent-kafka from a start offset until every partition reports EOF.

  ck_consume.py --bootstrap H:P --topic T [--partitions 0,1] [--offset beginning|end|N]
                [--expect N] [--timeout S] [--config k=v]...
stdout: {"records": [...], "errors": [...], "eof": [partitions], "logs": [...]}
With --expect the script stops once it holds N records and every partition hit EOF.
"""
import ctypes
import logging
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition, OFFSET_BEGINNING, OFFSET_END

from common import base_parser, collect_logs, emit, error_dict, hexb, parse_config

TSTYPES = {0: 'none', 1: 'create', 2: 'logappend'}


def headers_of(msg):
    """msg.headers() as a list, compensating a confluent-kafka < 1.8 bug.

    c_headers_to_py() stores Py_None for a null header value without Py_INCREF, so each one
    consumed steals a reference to None and the interpreter aborts at exit ("none_dealloc:
    deallocating None"). Message caches the converted list, so this runs once per message.
    """
    headers = msg.headers() or []
    for _name, value in headers:
        if value is None:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    return headers


def main():
    ap = base_parser(__doc__)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--partitions', default=None)
    ap.add_argument('--offset', default='beginning')
    ap.add_argument('--expect', type=int, default=None)
    ap.add_argument('--timeout', type=float, default=60)
    ap.add_argument('--stop-on-error', action='store_true', help='stop at the first error event')
    args = ap.parse_args()

    logs = collect_logs('librdkafka', logging.DEBUG)
    errors = []
    conf = {
        'bootstrap.servers': args.bootstrap,
        'group.id': 'samsa-interop-ck',
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'logger': logging.getLogger('librdkafka'),
        'error_cb': lambda e: errors.append(error_dict(e)),
    }
    conf.update(parse_config(args.config))
    consumer = Consumer(conf)

    if args.partitions is None:
        md = consumer.list_topics(args.topic, timeout=10)
        t = md.topics[args.topic]
        if t.error is not None:
            errors.append(error_dict(t.error))
            emit({'records': [], 'errors': errors, 'eof': [], 'logs': logs.lines})
            consumer.close()
            return
        partitions = sorted(t.partitions.keys())
    else:
        partitions = [int(p) for p in args.partitions.split(',')]
    start = {'beginning': OFFSET_BEGINNING, 'end': OFFSET_END}.get(args.offset)
    if start is None:
        start = int(args.offset)
    consumer.assign([TopicPartition(args.topic, p, start) for p in partitions])

    records = []
    eof = set()
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        err = msg.error()
        if err is not None:
            if err.code() == KafkaError._PARTITION_EOF:
                eof.add(msg.partition())
                if len(eof) == len(partitions) and (args.expect is None or len(records) >= args.expect):
                    break
                continue
            errors.append(error_dict(err))
            if args.stop_on_error:
                break
            continue
        eof.discard(msg.partition())
        ts = msg.timestamp()
        records.append({
            'p': msg.partition(),
            'o': msg.offset(),
            'ts': ts[1],
            'tt': TSTYPES.get(ts[0], str(ts[0])),
            'k': hexb(msg.key()),
            'v': hexb(msg.value()),
            'h': [[name, hexb(val)] for name, val in headers_of(msg)],
        })
    consumer.close()
    emit({'records': records, 'errors': errors, 'eof': sorted(eof), 'logs': logs.lines})


if __name__ == '__main__':
    main()
