"""kafka-python admin and offset queries, one operation per run.

  kp_admin.py --bootstrap H:P OP [args]
OPs:
  codecs                         (which codecs kafka-python can use here; no broker needed)
  create_topics --topic T [--partitions N] [--topic-config k=v]...
  delete_topics --topic T
  create_partitions --topic T --partitions N
  describe_configs --topic T
  alter_configs --topic T --topic-config k=v...
  list_groups | describe_groups --group G | group_offsets --group G | delete_groups --group G
  metadata                       (KafkaAdminClient.describe_cluster + list_topics + describe_topics)
  offsets_for_times --topic T --partition P --timestamp MS [--timestamp MS]...
stdout: JSON with the operation's result; errors as {"code", "name", "str"}.
"""
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic

from common import base_parser, collect_logs, emit, error_dict, parse_api_version, parse_config


def topic_errors(response, attr):
    """(topic, error_code, message?) tuples of an admin response as JSON."""
    out = {}
    for entry in getattr(response, attr):
        out[entry[0]] = {'code': entry[1], 'message': entry[2] if len(entry) > 2 and isinstance(entry[2], str) else None}
    return out


def main():
    ap = base_parser(__doc__)
    ap.add_argument('op')
    ap.add_argument('--topic')
    ap.add_argument('--partitions', type=int, default=1)
    ap.add_argument('--partition', type=int, default=0)
    ap.add_argument('--timestamp', type=int, action='append', default=[])
    ap.add_argument('--api-version', default=None)
    ap.add_argument('--topic-config', action='append', default=[])
    ap.add_argument('--group')
    args = ap.parse_args()
    logs = collect_logs('kafka')
    conf = {'bootstrap_servers': args.bootstrap, 'client_id': 'samsa-interop-kp'}
    api_version = parse_api_version(args.api_version)
    if api_version is not None:
        conf['api_version'] = api_version
    conf.update(parse_config(args.config))
    out = {'op': args.op}
    try:
        if args.op == 'codecs':
            from kafka import codec as kcodec
            modules = {}
            for name in ('snappy', 'lz4', 'lz4f', 'lz4framed', 'xxhash', 'zstandard'):
                try:
                    __import__(name)
                    modules[name] = True
                except ImportError:
                    modules[name] = False
            out['result'] = {'gzip': kcodec.has_gzip(), 'snappy': kcodec.has_snappy(), 'lz4': kcodec.has_lz4(), 'zstd': kcodec.has_zstd()}
            out['modules'] = modules
        elif args.op == 'offsets_for_times':
            consumer = KafkaConsumer(group_id=None, **conf)
            tp = TopicPartition(args.topic, args.partition)
            res = []
            for ts in args.timestamp:
                found = consumer.offsets_for_times({tp: ts})[tp]
                res.append({'timestamp': ts, 'offset': None if found is None else found.offset, 'found_ts': None if found is None else found.timestamp})
            out['result'] = res
            out['beginning'] = consumer.beginning_offsets([tp])[tp]
            out['end'] = consumer.end_offsets([tp])[tp]
            consumer.close()
        else:
            admin = KafkaAdminClient(**conf)
            if args.op == 'create_topics':
                topic_config = {k: str(v) for k, v in parse_config(args.topic_config).items()}
                r = admin.create_topics([NewTopic(args.topic, args.partitions, 1, topic_configs=topic_config)], timeout_ms=10000)
                out['result'] = topic_errors(r, 'topic_errors')
            elif args.op == 'delete_topics':
                r = admin.delete_topics([args.topic], timeout_ms=10000)
                out['result'] = {name: {'code': code} for name, code in r.topic_error_codes}
            elif args.op == 'create_partitions':
                r = admin.create_partitions({args.topic: NewPartitions(args.partitions)}, timeout_ms=10000)
                out['result'] = topic_errors(r, 'topic_errors')
            elif args.op == 'describe_configs':
                rs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, args.topic)])
                res = {}
                for r in rs:
                    for entry in r.resources:
                        code, message, _rtype, name, configs = entry[:5]
                        res[name] = {'code': code, 'message': message, 'configs': {c[0]: c[1] for c in configs}}
                out['result'] = res
            elif args.op == 'alter_configs':
                topic_config = {k: str(v) for k, v in parse_config(args.topic_config).items()}
                r = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, args.topic, configs=topic_config)])
                out['result'] = {entry[3]: {'code': entry[0], 'message': entry[1]} for entry in r.resources}
            elif args.op == 'list_groups':
                out['result'] = [list(g) for g in admin.list_consumer_groups()]
            elif args.op == 'describe_groups':
                out['result'] = [{'group': g.group, 'state': g.state, 'protocol': g.protocol, 'members': len(g.members)} for g in admin.describe_consumer_groups([args.group])]
            elif args.op == 'group_offsets':
                offsets = admin.list_consumer_group_offsets(args.group)
                out['result'] = {'%s:%d' % (tp.topic, tp.partition): om.offset for tp, om in offsets.items()}
            elif args.op == 'delete_groups':
                out['result'] = [[g, type(e).__name__] for g, e in admin.delete_consumer_groups([args.group])]
            elif args.op == 'metadata':
                out['cluster'] = admin.describe_cluster()
                out['topics'] = sorted(admin.list_topics())
                out['describe'] = admin.describe_topics()
            else:
                raise SystemExit('unknown op ' + args.op)
            out['api_version'] = list(admin.config['api_version'])
            admin.close()
    except Exception as e:  # noqa: BLE001 - reported to the test
        out['error'] = error_dict(e)
    out['logs'] = logs.lines
    emit(out)


if __name__ == '__main__':
    main()
