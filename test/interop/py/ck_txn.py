"""Transactions with confluent-kafka: a transactional producer committing and aborting.

  ck_txn.py produce --bootstrap H:P --topic T --txn-id ID [--txns N] [--per M] [--abort-every K]
      transaction i sends M records "c-i-j" (committed) or "a-i-j" (aborted: every K-th, i % K == 1)
      stdout: {"committed": [...values], "aborted": [...values], "errors": [...], "logs": [...]}
  ck_txn.py fence --bootstrap H:P --topic T --txn-id ID
      two producers with the same transactional id; the first, fenced by the second, tries to commit
      stdout: {"first_error": {...}|null, "second_committed": bool, "errors": [...], "logs": [...]}
"""
import logging

from confluent_kafka import Producer, KafkaException

from common import base_parser, collect_logs, emit, error_dict


def make_producer(args, errors, logs):
    return Producer({
        'bootstrap.servers': args.bootstrap,
        'transactional.id': args.txn_id,
        'transaction.timeout.ms': 20000,
        'logger': logging.getLogger('librdkafka'),
        'error_cb': lambda e: errors.append(error_dict(e)),
    })


def produce(args):
    logs = collect_logs('librdkafka', logging.WARNING)
    errors = []
    p = make_producer(args, errors, logs)
    p.init_transactions(20)
    committed, aborted = [], []
    for i in range(args.txns):
        abort = args.abort_every > 0 and i % args.abort_every == 1
        p.begin_transaction()
        values = [('%s-%d-%d' % ('a' if abort else 'c', i, j)) for j in range(args.per)]
        for j, v in enumerate(values):
            p.produce(args.topic, key=('k%d' % j).encode(), value=v.encode())
        p.flush(20)
        if abort:
            p.abort_transaction(20)
            aborted.extend(values)
        else:
            p.commit_transaction(20)
            committed.extend(values)
    emit({'committed': committed, 'aborted': aborted, 'errors': errors, 'logs': logs.lines})


def fence(args):
    logs = collect_logs('librdkafka', logging.WARNING)
    errors = []
    first = make_producer(args, errors, logs)
    first.init_transactions(20)
    first.begin_transaction()
    first.produce(args.topic, value=b'zombie')
    first.flush(20)
    second = make_producer(args, errors, logs)
    second.init_transactions(30)
    second.begin_transaction()
    second.produce(args.topic, value=b'second')
    second.commit_transaction(20)
    first_error = None
    try:
        first.produce(args.topic, value=b'zombie-late')
        first.commit_transaction(20)
    except KafkaException as e:
        err = e.args[0]
        first_error = {'code': err.code(), 'name': err.name(), 'str': err.str(), 'fatal': err.fatal()}
    emit({'first_error': first_error, 'second_committed': True, 'errors': errors, 'logs': logs.lines})


def main():
    ap = base_parser(__doc__)
    ap.add_argument('mode', choices=['produce', 'fence'])
    ap.add_argument('--topic', required=True)
    ap.add_argument('--txn-id', required=True)
    ap.add_argument('--txns', type=int, default=20)
    ap.add_argument('--per', type=int, default=50)
    ap.add_argument('--abort-every', type=int, default=3)
    args = ap.parse_args()
    if args.mode == 'produce':
        produce(args)
    else:
        fence(args)


if __name__ == '__main__':
    main()
