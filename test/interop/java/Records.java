// Producing and consuming records in the interop suite's JSON shape (test/interop/helpers.ts:
// TestRecord in, DeliveryReport and SeenRecord out), and the consumer's position APIs.
import static java.util.Objects.requireNonNullElse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

final class Records {
  private Records() {}

  static ProducerRecord<byte[], byte[]> toRecord(String topic, Map<String, Object> r) {
    RecordHeaders headers = new RecordHeaders();
    for (Object h : SamsaInterop.list(r.get("h"))) {
      List<Object> pair = SamsaInterop.list(h);
      headers.add((String) pair.get(0), SamsaInterop.unhex(pair.get(1)));
    }
    Integer partition = r.get("p") == null ? null : ((Number) r.get("p")).intValue();
    Long ts = r.get("ts") == null ? null : ((Number) r.get("ts")).longValue();
    return new ProducerRecord<>(topic, partition, ts, SamsaInterop.unhex(r.get("k")), SamsaInterop.unhex(r.get("v")), headers);
  }

  static Map<String, Object> seen(ConsumerRecord<byte[], byte[]> r) {
    List<Object> h = new ArrayList<>();
    for (Header x : r.headers()) h.add(java.util.Arrays.asList(x.key(), SamsaInterop.hex(x.value())));
    String tt = r.timestampType() == TimestampType.CREATE_TIME ? "create" : r.timestampType() == TimestampType.LOG_APPEND_TIME ? "logappend" : "none";
    return SamsaInterop.obj("p", r.partition(), "o", r.offset(), "ts", r.timestamp(), "tt", tt, "k", SamsaInterop.hex(r.key()), "v", SamsaInterop.hex(r.value()), "h", h);
  }

  /** Sends `records` to `topic` with one producer configured by `config`; reports as ProduceOutput. */
  static Map<String, Object> produce(String bootstrap, Map<String, Object> step) {
    String topic = SamsaInterop.str(step, "topic");
    List<Map<String, Object>> records = SamsaInterop.maps(step.get("records"));
    Object[] reports = new Object[records.size()];
    List<Object> errors = new ArrayList<>();
    long t0 = System.currentTimeMillis();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(SamsaInterop.props(bootstrap, step))) {
      long sleepMs = SamsaInterop.lng(step, "sleepMs", 0); // spreads the sends over time (e.g. across a broker restart)
      for (int i = 0; i < records.size(); i++) {
        if (sleepMs > 0) SamsaInterop.sleep(sleepMs);
        final int at = i;
        producer.send(toRecord(topic, records.get(i)), (md, e) -> {
          reports[at] = e == null
              ? SamsaInterop.obj("i", at, "p", md.partition(), "o", md.hasOffset() ? md.offset() : -1, "ts", md.timestamp(), "err", null)
              : SamsaInterop.obj("i", at, "p", null, "o", null, "ts", null, "err", SamsaInterop.obj("code", null, "name", e.getClass().getSimpleName(), "str", String.valueOf(e.getMessage())));
        });
      }
      producer.flush();
    } catch (RuntimeException e) {
      errors.add(SamsaInterop.error(e));
    }
    return SamsaInterop.obj("reports", java.util.Arrays.asList(reports), "errors", errors, "logs", List.of(), "ms", System.currentTimeMillis() - t0);
  }

  static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> c, String topic) {
    for (long deadline = System.currentTimeMillis() + 20_000; ; SamsaInterop.sleep(100)) {
      List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
      if (infos != null && !infos.isEmpty()) return infos.stream().map(i -> new TopicPartition(topic, i.partition())).sorted((a, b) -> a.partition() - b.partition()).toList();
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("no partitions for " + topic);
    }
  }

  /**
   * Reads every partition of `topic` (or `partitions`) from the beginning to the end offsets the
   * consumer sees at the start (the last stable offset under read_committed), without a group.
   */
  static Map<String, Object> consume(String bootstrap, Map<String, Object> step) {
    String topic = SamsaInterop.str(step, "topic");
    long timeoutMs = SamsaInterop.lng(step, "timeoutMs", 60_000);
    List<Object> records = new ArrayList<>();
    List<Object> errors = new ArrayList<>();
    Map<String, Object> out = SamsaInterop.obj("records", records, "errors", errors, "logs", List.of());
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(SamsaInterop.props(bootstrap, step))) {
      List<TopicPartition> tps = partitions(c, topic);
      if (step.get("partitions") != null) {
        Set<Object> want = new HashSet<>(SamsaInterop.list(step.get("partitions")));
        tps = tps.stream().filter(tp -> want.contains(tp.partition())).toList();
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      Map<String, Object> ends = new HashMap<>();
      end.forEach((tp, o) -> ends.put(String.valueOf(tp.partition()), o));
      out.put("end", ends);
      long deadline = System.currentTimeMillis() + timeoutMs;
      while (!tps.stream().allMatch(tp -> c.position(tp) >= end.get(tp))) {
        if (System.currentTimeMillis() > deadline) {
          errors.add(SamsaInterop.obj("code", null, "name", "Timeout", "str", "positions did not reach the end offsets " + ends));
          break;
        }
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) records.add(seen(r));
      }
    } catch (RuntimeException e) {
      errors.add(SamsaInterop.error(e));
    }
    return out;
  }

  private static long firstOffsetPolled(KafkaConsumer<byte[], byte[]> c, TopicPartition tp) {
    for (long deadline = System.currentTimeMillis() + 20_000; System.currentTimeMillis() < deadline; ) {
      for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200)).records(tp)) return r.offset();
    }
    return -1;
  }

  /**
   * The consumer's position APIs on one partition of `topic` with group `group` and assign():
   * consume `take` records, commit them (commitSync with metadata on partition 0, commitAsync on
   * the others), close; a new consumer (auto.offset.reset=none) must start at the committed
   * offsets; then seek, seekToBeginning, seekToEnd, offsetsForTimes at `times`.
   */
  static Map<String, Object> positions(String bootstrap, Map<String, Object> step) {
    String topic = SamsaInterop.str(step, "topic");
    int take = SamsaInterop.num(step, "take", 10);
    Map<String, Object> out = SamsaInterop.obj();
    Map<String, Object> config = new HashMap<>(SamsaInterop.map(step.get("config")));
    config.put("group.id", SamsaInterop.str(step, "group"));
    config.put("enable.auto.commit", "false");
    Map<String, Object> s = SamsaInterop.obj("config", config);

    AtomicReference<Object> asyncResult = new AtomicReference<>();
    if (step.get("commit") == null || (Boolean) step.get("commit")) {
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(SamsaInterop.props(bootstrap, s))) {
        List<TopicPartition> tps = partitions(c, topic);
        c.assign(tps);
        c.seekToBeginning(tps);
        Map<TopicPartition, Integer> got = new HashMap<>();
        long deadline = System.currentTimeMillis() + 30_000;
        while (tps.stream().anyMatch(tp -> got.getOrDefault(tp, 0) < take) && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) got.merge(new TopicPartition(r.topic(), r.partition()), 1, Integer::sum);
        }
        Map<TopicPartition, OffsetAndMetadata> sync = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> async = new HashMap<>();
        for (TopicPartition tp : tps) (tp.partition() == 0 ? sync : async).put(tp, new OffsetAndMetadata(take, "meta-" + tp.partition()));
        c.commitSync(sync);
        c.commitAsync(async, (offsets, e) -> asyncResult.set(e == null ? SamsaInterop.obj("ok", offsets.size()) : SamsaInterop.error(e)));
        c.commitSync(Map.of()); // completes the async commit and runs its callback
        out.put("positionsBeforeClose", positionMap(c, tps));
      }
    }
    out.put("asyncCommit", asyncResult.get());

    config.put("auto.offset.reset", "none");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(SamsaInterop.props(bootstrap, s))) {
      List<TopicPartition> tps = partitions(c, topic);
      TopicPartition tp0 = tps.get(0);
      c.assign(tps);
      Map<String, Object> committed = SamsaInterop.obj();
      c.committed(new HashSet<>(tps)).forEach((tp, om) -> committed.put(String.valueOf(tp.partition()), om == null ? null : SamsaInterop.obj("offset", om.offset(), "metadata", om.metadata())));
      out.put("committed", committed);
      out.put("restartPositions", positionMap(c, tps));
      out.put("restartFirst", firstOffsetPolled(c, tp0));
      long seekTo = SamsaInterop.lng(step, "seek", 3);
      c.seek(tp0, seekTo);
      out.put("afterSeek", firstOffsetPolled(c, tp0));
      c.seekToBeginning(List.of(tp0));
      out.put("beginningPosition", c.position(tp0));
      out.put("afterSeekToBeginning", firstOffsetPolled(c, tp0));
      c.seekToEnd(List.of(tp0));
      out.put("endPosition", c.position(tp0));
      out.put("beginningOffsets", byPartition(c.beginningOffsets(tps)));
      out.put("endOffsets", byPartition(c.endOffsets(tps)));
      List<Object> times = new ArrayList<>();
      for (Object t : SamsaInterop.list(step.get("times"))) {
        long ts = ((Number) t).longValue();
        OffsetAndTimestamp ot = c.offsetsForTimes(Map.of(tp0, ts)).get(tp0);
        times.add(SamsaInterop.obj("ts", ts, "found", ot == null ? null : SamsaInterop.obj("offset", ot.offset(), "ts", ot.timestamp())));
      }
      out.put("offsetsForTimes", times);
    }
    if (step.get("emptyTopic") != null) out.put("emptyEpochSeek", emptyEpochSeek(bootstrap, SamsaInterop.str(step, "emptyTopic")));
    return out;
  }

  /**
   * A position carrying leader epoch 0 on a partition with no records (as a committed offset of
   * a recreated topic would): the consumer validates it with OffsetsForLeaderEpoch before fetching.
   */
  private static Object emptyEpochSeek(String bootstrap, String topic) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(SamsaInterop.props(bootstrap, SamsaInterop.obj("config", Map.of("auto.offset.reset", "none"))))) {
      TopicPartition tp = partitions(c, topic).get(0);
      c.assign(List.of(tp));
      c.seek(tp, new OffsetAndMetadata(0, java.util.Optional.of(0), ""));
      for (int i = 0; i < 3; i++) c.poll(Duration.ofMillis(200));
      return SamsaInterop.obj("position", c.position(tp));
    } catch (RuntimeException e) {
      return SamsaInterop.error(e);
    }
  }

  private static Map<String, Object> positionMap(KafkaConsumer<byte[], byte[]> c, List<TopicPartition> tps) {
    Map<String, Object> m = SamsaInterop.obj();
    for (TopicPartition tp : tps) m.put(String.valueOf(tp.partition()), c.position(tp));
    return m;
  }

  private static Map<String, Object> byPartition(Map<TopicPartition, Long> offsets) {
    Map<String, Object> m = SamsaInterop.obj();
    offsets.entrySet().stream().sorted((a, b) -> a.getKey().partition() - b.getKey().partition()).forEach(e -> m.put(String.valueOf(e.getKey().partition()), requireNonNullElse(e.getValue(), -1L)));
    return m;
  }
}
