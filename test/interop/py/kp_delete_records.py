"""DeleteRecords (API key 21) from kafka-python 2.0.2, which has no admin call for it (added in
kafka-python 2.1; confluent-kafka has delete_records from 2.4, we have 1.7.0): the request and
response are declared with kafka-python's own protocol types and sent through KafkaAdminClient's
connection to the partition leader.

  kp_delete_records.py --bootstrap H:P --topic T --partition P --offset O
stdout: JSON {"low_watermark": N, "error_code": C}.
"""
from kafka.admin import KafkaAdminClient
from kafka.protocol.api import Request, Response
from kafka.protocol.types import Array, Int16, Int32, Int64, Schema, String

from common import base_parser, collect_logs, emit, error_dict


class DeleteRecordsResponse_v0(Response):
    API_KEY = 21
    API_VERSION = 0
    SCHEMA = Schema(
        ('throttle_time_ms', Int32),
        ('topics', Array(('name', String('utf-8')), ('partitions', Array(('partition_index', Int32), ('low_watermark', Int64), ('error_code', Int16))))),
    )


class DeleteRecordsRequest_v0(Request):
    API_KEY = 21
    API_VERSION = 0
    RESPONSE_TYPE = DeleteRecordsResponse_v0
    SCHEMA = Schema(
        ('topics', Array(('name', String('utf-8')), ('partitions', Array(('partition_index', Int32), ('offset', Int64))))),
        ('timeout_ms', Int32),
    )


def main():
    ap = base_parser(__doc__)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--partition', type=int, default=0)
    ap.add_argument('--offset', type=int, required=True)
    args = ap.parse_args()
    logs = collect_logs('kafka')
    out = {}
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap, client_id='samsa-interop-kp-delete-records')
    try:
        admin._client.cluster.request_update()
        admin._client.poll(future=admin._client.cluster.request_update(), timeout_ms=5000)
        admin._client.add_topic(args.topic)
        leader = None
        for _ in range(50):
            leader = admin._client.cluster.leader_for_partition(__import__('kafka').TopicPartition(args.topic, args.partition))
            if leader is not None and leader >= 0:
                break
            admin._client.poll(future=admin._client.cluster.request_update(), timeout_ms=200)
        request = DeleteRecordsRequest_v0(topics=[(args.topic, [(args.partition, args.offset)])], timeout_ms=10000)
        future = admin._send_request_to_node(leader, request)
        admin._wait_for_futures([future])
        response = future.value
        _, partitions = response.topics[0]
        _, low, code = partitions[0]
        out.update({'low_watermark': low, 'error_code': code})
    except Exception as e:  # noqa: BLE001
        out['error'] = error_dict(e)
    finally:
        admin.close()
    out['logs'] = logs.lines
    emit(out)


if __name__ == '__main__':
    main()
