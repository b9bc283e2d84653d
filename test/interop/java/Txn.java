// Transactions: `mode: "plain"` commits and aborts batches of records (every `abortEvery`-th
// aborted); `mode: "ctp"` is consume-transform-produce: a read_committed group member copies
// `inTopic` to `topic`, its offsets go into each transaction with sendOffsetsToTransaction, and an
// aborted batch is re-read from the committed offsets. Reports the values committed and aborted.
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

final class Txn {
  private Txn() {}

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap, Map<String, Object> step) {
    Map<String, Object> config = new HashMap<>(SamsaInterop.map(step.get("config")));
    config.put("transactional.id", SamsaInterop.str(step, "txnId"));
    KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(SamsaInterop.props(bootstrap, SamsaInterop.obj("config", config)));
    p.initTransactions();
    return p;
  }

  /** Transactions left open by a "begin" step, by transactional id, for a later "finish" step. */
  private static final Map<String, KafkaProducer<byte[], byte[]>> OPEN = new HashMap<>();

  static Map<String, Object> run(String bootstrap, Map<String, Object> step) {
    switch (SamsaInterop.str(step, "mode")) {
      case "ctp":
        return ctp(bootstrap, step);
      case "begin": {
        // Records written in a transaction that stays open while the next steps look at it.
        KafkaProducer<byte[], byte[]> p = producer(bootstrap, step);
        OPEN.put(SamsaInterop.str(step, "txnId"), p);
        p.beginTransaction();
        List<String> values = new ArrayList<>();
        for (int j = 0; j < SamsaInterop.num(step, "per", 10); j++) {
          values.add("open-" + j);
          p.send(new ProducerRecord<>(SamsaInterop.str(step, "topic"), ("k" + j).getBytes(), ("open-" + j).getBytes()));
        }
        p.flush();
        return SamsaInterop.obj("open", values);
      }
      case "finish": {
        try (KafkaProducer<byte[], byte[]> p = OPEN.remove(SamsaInterop.str(step, "txnId"))) {
          if (Boolean.TRUE.equals(step.get("abort"))) p.abortTransaction();
          else p.commitTransaction();
        }
        return SamsaInterop.obj("finished", true);
      }
      default:
        return plain(bootstrap, step);
    }
  }

  private static Map<String, Object> plain(String bootstrap, Map<String, Object> step) {
    String topic = SamsaInterop.str(step, "topic");
    int txns = SamsaInterop.num(step, "txns", 10);
    int per = SamsaInterop.num(step, "per", 10);
    int abortEvery = SamsaInterop.num(step, "abortEvery", 3);
    List<String> committed = new ArrayList<>();
    List<String> aborted = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> p = producer(bootstrap, step)) {
      for (int t = 0; t < txns; t++) {
        p.beginTransaction();
        List<String> values = new ArrayList<>();
        for (int j = 0; j < per; j++) {
          String v = "t" + t + "-" + j;
          values.add(v);
          p.send(new ProducerRecord<>(topic, ("k" + j).getBytes(), v.getBytes()));
        }
        if (t % abortEvery == abortEvery - 1) {
          p.flush(); // else the client drops the unsent batches and the aborted records never reach the log
          p.abortTransaction();
          aborted.addAll(values);
        } else {
          p.commitTransaction();
          committed.addAll(values);
        }
      }
    }
    return SamsaInterop.obj("committed", committed, "aborted", aborted);
  }

  private static Map<String, Object> ctp(String bootstrap, Map<String, Object> step) {
    String in = SamsaInterop.str(step, "inTopic");
    String topic = SamsaInterop.str(step, "topic");
    int expect = SamsaInterop.num(step, "expect", 0);
    int abortEvery = SamsaInterop.num(step, "abortEvery", 3);
    long deadline = System.currentTimeMillis() + SamsaInterop.lng(step, "timeoutMs", 60_000);
    Map<String, Object> cc = SamsaInterop.obj("group.id", SamsaInterop.str(step, "group"), "isolation.level", "read_committed", "enable.auto.commit", "false", "auto.offset.reset", "earliest", "max.poll.records", "25");
    Properties cp = SamsaInterop.props(bootstrap, SamsaInterop.obj("config", cc));
    List<String> committed = new ArrayList<>();
    List<String> aborted = new ArrayList<>();
    int done = 0;
    int batches = 0;
    try (KafkaProducer<byte[], byte[]> p = producer(bootstrap, step); KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cp)) {
      c.subscribe(List.of(in), new ConsumerRebalanceListener() {
        public void onPartitionsRevoked(Collection<TopicPartition> ps) {}

        public void onPartitionsAssigned(Collection<TopicPartition> ps) {}
      });
      while (done < expect) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("copied " + done + " of " + expect);
        ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(200));
        if (rs.isEmpty()) continue;
        p.beginTransaction();
        List<String> values = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : rs) {
          String v = "x-" + new String(r.value());
          values.add(v);
          p.send(new ProducerRecord<>(topic, r.key(), v.getBytes()));
          offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        p.sendOffsetsToTransaction(offsets, c.groupMetadata());
        if (batches++ % abortEvery == abortEvery - 1) {
          p.flush();
          p.abortTransaction();
          aborted.addAll(values);
          // The aborted batch is read again from the group's committed offsets.
          Set<TopicPartition> assigned = c.assignment();
          Map<TopicPartition, OffsetAndMetadata> at = c.committed(assigned);
          for (TopicPartition tp : assigned) {
            OffsetAndMetadata om = at.get(tp);
            if (om != null) c.seek(tp, om.offset());
            else c.seekToBeginning(List.of(tp));
          }
        } else {
          p.commitTransaction();
          committed.addAll(values);
          done += rs.count();
        }
      }
    }
    return SamsaInterop.obj("committed", committed, "aborted", aborted, "batches", batches);
  }
}
