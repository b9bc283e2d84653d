"""A confluent-kafka (librdkafka) producer for the fault harness: one record at a time round-robin
over the topic's partitions at RATE per second until SIGTERM, idempotent with acks=all (plain with
acks=1), each send recorded as a history JSON line on stdout from its delivery report.
Args: bootstrap topic partitions rate name acks."""
import json, signal, sys, time
from confluent_kafka import Producer

bootstrap, topic, partitions, rate, name, acks = sys.argv[1:7]
partitions, rate, acks = int(partitions), float(rate), int(acks)
idempotent = acks == -1
stopping = False
def stop(*_):
    global stopping
    stopping = True
signal.signal(signal.SIGTERM, stop)

def emit(op):
    sys.stdout.write(json.dumps(op) + "\n")
    sys.stdout.flush()

conf = {"bootstrap.servers": bootstrap, "acks": "all" if acks == -1 else str(acks), "enable.idempotence": idempotent,
        "linger.ms": 5, "message.timeout.ms": 30000, "socket.timeout.ms": 10000, "log_level": 0}
producer = Producer(conf)

def report(partition, value):
    def on_delivery(err, msg):
        if err is None:
            emit({"f": "send", "p": name, "type": "ok", "t": int(time.time() * 1000), "partition": partition, "value": value, "offset": msg.offset()})
        else:
            emit({"f": "send", "p": name, "type": "info", "t": int(time.time() * 1000), "partition": partition, "value": value, "error": str(err)})
    return on_delivery

seq = 0
while not stopping:
    partition = seq % partitions
    value = "%s-%d" % (name, seq)
    seq += 1
    emit({"f": "send", "p": name, "type": "invoke", "t": int(time.time() * 1000), "partition": partition, "value": value, "idempotent": idempotent})
    while True:
        try:
            producer.produce(topic, value=value.encode(), partition=partition, on_delivery=report(partition, value))
            break
        except BufferError:
            producer.poll(0.05)
    producer.poll(0)
    time.sleep(1.0 / rate)
producer.flush(60)
