"""confluent-kafka admin and offset queries, one operation per run.

  ck_admin.py --bootstrap H:P OP [args]
OPs:
  create_topics --topic T [--partitions N] [--topic-config k=v]...
  delete_topics --topic T
  create_partitions --topic T --partitions N
  describe_configs --topic T
  alter_configs --topic T --topic-config k=v...
  list_groups
  metadata [--topic T]
  offsets_for_times --topic T --partition P --timestamp MS [--timestamp MS]...
  watermarks --topic T --partition P
stdout: JSON with the operation's result; errors as {"code", "name", "str"}.
"""
import logging

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

from common import base_parser, collect_logs, emit, error_dict, parse_config


def future_result(f, timeout=30):
    try:
        return {'ok': True, 'value': f.result(timeout)}
    except KafkaException as e:
        return {'ok': False, 'error': error_dict(e.args[0])}
    except Exception as e:  # noqa: BLE001 - a timeout or a client bug is reported, not raised
        return {'ok': False, 'error': {'code': None, 'name': type(e).__name__, 'str': str(e)}}


def main():
    ap = base_parser(__doc__)
    ap.add_argument('op')
    ap.add_argument('--topic')
    ap.add_argument('--partitions', type=int, default=1)
    ap.add_argument('--partition', type=int, default=0)
    ap.add_argument('--timestamp', type=int, action='append', default=[])
    ap.add_argument('--topic-config', action='append', default=[])
    args = ap.parse_args()
    logs = collect_logs('librdkafka', logging.DEBUG)
    conf = {'bootstrap.servers': args.bootstrap, 'logger': logging.getLogger('librdkafka')}
    conf.update(parse_config(args.config))
    out = {'op': args.op}

    if args.op in ('create_topics', 'delete_topics', 'create_partitions', 'describe_configs', 'alter_configs', 'list_groups', 'metadata'):
        admin = AdminClient(conf)
        if args.op == 'create_topics':
            topic_config = {k: str(v) for k, v in parse_config(args.topic_config).items()}
            fs = admin.create_topics([NewTopic(args.topic, num_partitions=args.partitions, replication_factor=1, config=topic_config)], operation_timeout=10)
            out['result'] = {t: future_result(f) for t, f in fs.items()}
        elif args.op == 'delete_topics':
            fs = admin.delete_topics([args.topic], operation_timeout=10)
            out['result'] = {t: future_result(f) for t, f in fs.items()}
        elif args.op == 'create_partitions':
            fs = admin.create_partitions([NewPartitions(args.topic, args.partitions)], operation_timeout=10)
            out['result'] = {t: future_result(f) for t, f in fs.items()}
        elif args.op == 'alter_configs':
            topic_config = {k: str(v) for k, v in parse_config(args.topic_config).items()}
            fs = admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, args.topic, set_config=topic_config)])
            out['result'] = {resource.name: future_result(f) for resource, f in fs.items()}
        elif args.op == 'list_groups':
            try:
                groups = admin.list_groups(timeout=10)
                out['result'] = [{'id': g.id, 'state': g.state, 'protocol_type': g.protocol_type, 'members': len(g.members)} for g in groups]
            except KafkaException as e:
                out['error'] = error_dict(e.args[0])
        elif args.op == 'describe_configs':
            fs = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, args.topic)])
            res = {}
            for resource, f in fs.items():
                r = future_result(f)
                if r['ok']:
                    r['value'] = {name: {'value': e.value, 'default': e.is_default, 'read_only': e.is_read_only, 'source': e.source} for name, e in r['value'].items()}
                res[resource.name] = r
            out['result'] = res
        else:
            try:
                md = admin.list_topics(args.topic, timeout=10) if args.topic else admin.list_topics(timeout=10)
            except KafkaException as e:
                out['error'] = error_dict(e.args[0])
            else:
                out['cluster_id'] = md.cluster_id
                out['controller_id'] = md.controller_id
                out['brokers'] = [{'id': b.id, 'host': b.host, 'port': b.port} for b in md.brokers.values()]
                out['topics'] = {
                    name: {
                        'error': error_dict(t.error),
                        'partitions': {
                            str(p.id): {'leader': p.leader, 'replicas': list(p.replicas), 'isrs': list(p.isrs), 'error': error_dict(p.error)}
                            for p in t.partitions.values()
                        },
                    }
                    for name, t in md.topics.items()
                }
    else:
        conf.update({'group.id': 'samsa-interop-ck-admin', 'enable.auto.commit': False})
        consumer = Consumer(conf)
        try:
            if args.op == 'offsets_for_times':
                results = []
                for ts in args.timestamp:
                    try:
                        tps = consumer.offsets_for_times([TopicPartition(args.topic, args.partition, ts)], timeout=10)
                        tp = tps[0]
                        results.append({'timestamp': ts, 'offset': tp.offset, 'error': error_dict(tp.error)})
                    except KafkaException as e:
                        results.append({'timestamp': ts, 'offset': None, 'error': error_dict(e.args[0])})
                out['result'] = results
            elif args.op == 'watermarks':
                low, high = consumer.get_watermark_offsets(TopicPartition(args.topic, args.partition), timeout=10)
                out['result'] = {'low': low, 'high': high}
            else:
                raise SystemExit('unknown op ' + args.op)
        finally:
            consumer.close()
    out['logs'] = logs.lines
    emit(out)


if __name__ == '__main__':
    main()
