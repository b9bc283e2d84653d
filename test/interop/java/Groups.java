// A consumer group of several KafkaConsumers (classic protocol), one thread each, in one JVM:
// they subscribe, commit (sync or async) after every poll and in onPartitionsRevoked, one member
// leaves (close: LeaveGroup), the others take its partitions, then more records arrive and are
// consumed. Reports each member's assignments over time, what it consumed, and the group as
// Admin.describeConsumerGroups sees it while stable.
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

final class Groups {
  private Groups() {}

  static final class Member implements Runnable {
    final String name;
    final Properties props;
    final String topic;
    final boolean async;
    final Set<Integer> owned = ConcurrentHashMap.newKeySet();
    final List<Object> events = Collections.synchronizedList(new ArrayList<>());
    final List<Object> records = Collections.synchronizedList(new ArrayList<>());
    final List<Object> commitErrors = Collections.synchronizedList(new ArrayList<>());
    volatile long lastEventAt = System.currentTimeMillis();
    volatile boolean stop;
    volatile String memberId;
    volatile Map<String, Object> failure;
    final Thread thread = new Thread(this);

    Member(String name, Properties props, String topic, boolean async) {
      this.name = name;
      this.props = props;
      this.topic = topic;
      this.async = async;
      thread.setName(name);
    }

    private void event(String ev, Collection<TopicPartition> ps) {
      events.add(SamsaInterop.obj("ev", ev, "partitions", SamsaInterop.partitionsOf(ps), "t", System.currentTimeMillis()));
      lastEventAt = System.currentTimeMillis();
    }

    public void run() {
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
        c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
          public void onPartitionsRevoked(Collection<TopicPartition> ps) {
            if (!ps.isEmpty()) commit(c, false); // what we consumed is committed before another member takes it
            ps.forEach(tp -> owned.remove(tp.partition()));
            event("revoked", ps);
          }

          public void onPartitionsAssigned(Collection<TopicPartition> ps) {
            ps.forEach(tp -> owned.add(tp.partition()));
            memberId = c.groupMetadata().memberId();
            event("assigned", ps);
          }

          public void onPartitionsLost(Collection<TopicPartition> ps) {
            ps.forEach(tp -> owned.remove(tp.partition()));
            event("lost", ps);
          }
        });
        while (!stop) {
          ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(100));
          for (ConsumerRecord<byte[], byte[]> r : rs) records.add(List.of(r.partition(), r.offset()));
          if (!rs.isEmpty()) commit(c, async);
        }
        commit(c, false);
      } catch (RuntimeException e) {
        failure = SamsaInterop.error(e);
      }
    }

    private void commit(KafkaConsumer<byte[], byte[]> c, boolean async) {
      try {
        if (async) c.commitAsync((offsets, e) -> {
          if (e != null) commitErrors.add(SamsaInterop.error(e));
        });
        else c.commitSync();
      } catch (RuntimeException e) {
        commitErrors.add(SamsaInterop.error(e));
      }
    }

    Map<String, Object> report() {
      synchronized (records) {
        return SamsaInterop.obj("name", name, "memberId", memberId, "async", async, "events", new ArrayList<>(events), "records", new ArrayList<>(records), "commitErrors", new ArrayList<>(commitErrors), "failure", failure);
      }
    }
  }

  /** Every partition owned by exactly one of `members`, each owning some, and no rebalance event for `quietMs`. */
  private static Map<String, Object> waitStable(List<Member> members, int partitions, long timeoutMs, String what) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    for (;; SamsaInterop.sleep(50)) {
      List<Integer> all = new ArrayList<>();
      Map<String, Object> snap = SamsaInterop.obj();
      for (Member m : members) {
        List<Integer> mine = new ArrayList<>(new TreeSet<>(m.owned));
        all.addAll(mine);
        snap.put(m.name, mine);
      }
      Collections.sort(all);
      boolean exact = all.size() == partitions && new HashSet<>(all).size() == partitions && members.stream().allMatch(m -> !m.owned.isEmpty());
      long quiet = System.currentTimeMillis() - members.stream().mapToLong(m -> m.lastEventAt).max().orElse(0);
      if (exact && quiet > 1500) return snap;
      if (members.stream().anyMatch(m -> m.failure != null)) throw new IllegalStateException("a member failed while waiting for " + what);
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("timed out waiting for " + what + ": " + snap);
    }
  }

  private static int consumed(List<Member> members) {
    Set<Object> seen = new HashSet<>();
    for (Member m : members) synchronized (m.records) {
      seen.addAll(m.records);
    }
    return seen.size();
  }

  private static void waitConsumed(List<Member> members, int want, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (consumed(members) < want) {
      if (System.currentTimeMillis() > deadline) throw new IllegalStateException("consumed " + consumed(members) + " of " + want);
      SamsaInterop.sleep(50);
    }
  }

  private static Map<String, Object> describe(Admin admin, String group) throws Exception {
    ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
    List<Object> ms = new ArrayList<>();
    for (MemberDescription m : d.members()) {
      ms.add(SamsaInterop.obj("memberId", m.consumerId(), "clientId", m.clientId(), "host", m.host(), "partitions", SamsaInterop.partitionsOf(m.assignment().topicPartitions())));
    }
    return SamsaInterop.obj("state", String.valueOf(d.groupState()), "assignor", d.partitionAssignor(), "type", String.valueOf(d.type()), "simple", d.isSimpleConsumerGroup(), "coordinator", d.coordinator().id(), "members", ms);
  }

  interface Action {
    void run() throws Exception;
  }

  private static Object attempt(Action a) {
    try {
      a.run();
      return "ok";
    } catch (Exception e) {
      return SamsaInterop.error(e).get("name");
    }
  }

  static Map<String, Object> run(String bootstrap, Map<String, Object> step) throws Exception {
    String topic = SamsaInterop.str(step, "topic");
    String group = SamsaInterop.str(step, "group");
    int n = SamsaInterop.num(step, "members", 3);
    int leave = SamsaInterop.num(step, "leave", 0);
    int partitions = SamsaInterop.num(step, "partitions", 6);
    int expect = SamsaInterop.num(step, "expect", 0);
    int after = SamsaInterop.num(step, "perPartitionAfter", 10);
    long timeoutMs = SamsaInterop.lng(step, "timeoutMs", 60_000);
    Map<String, Object> timings = SamsaInterop.obj();
    long t0 = System.currentTimeMillis();

    List<Member> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Object> config = new HashMap<>(SamsaInterop.map(step.get("config")));
      config.put("group.id", group);
      config.put("client.id", "m" + i);
      if (Boolean.TRUE.equals(step.get("static"))) config.put("group.instance.id", "m" + i); // static membership (KIP-345)
      config.put("enable.auto.commit", "false");
      config.put("auto.offset.reset", "earliest");
      config.put("partition.assignment.strategy", switch (SamsaInterop.str(step, "assignor")) {
        case "range" -> "org.apache.kafka.clients.consumer.RangeAssignor";
        case "roundrobin" -> "org.apache.kafka.clients.consumer.RoundRobinAssignor";
        case "cooperative-sticky" -> "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
        default -> SamsaInterop.str(step, "assignor");
      });
      members.add(new Member("m" + i, SamsaInterop.props(bootstrap, SamsaInterop.obj("config", config)), topic, i % 2 == 1));
    }
    List<Object> snapshots = new ArrayList<>();
    List<Object> described = new ArrayList<>();
    Map<String, Object> out = SamsaInterop.obj("snapshots", snapshots, "described", described, "timings", timings);
    try (Admin admin = Admin.create(SamsaInterop.props(bootstrap, Map.of()))) {
      for (Member m : members) m.thread.start();
      snapshots.add(waitStable(members, partitions, timeoutMs, n + " members sharing " + partitions + " partitions"));
      timings.put("stable", System.currentTimeMillis() - t0);
      waitConsumed(members, expect, timeoutMs);
      described.add(describe(admin, group));
      // What an admin may not do to a group with live members.
      out.put("alterWhileActive", attempt(() -> admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(0))).all().get()));
      out.put("deleteWhileActive", attempt(() -> admin.deleteConsumerGroups(List.of(group)).all().get()));

      Member leaver = members.get(leave);
      List<Member> rest = new ArrayList<>(members);
      rest.remove(leaver);
      long leftAt = System.currentTimeMillis();
      leaver.stop = true;
      leaver.thread.join(timeoutMs);
      snapshots.add(waitStable(rest, partitions, timeoutMs, (n - 1) + " members after " + leaver.name + " left"));
      timings.put("moved", System.currentTimeMillis() - leftAt);
      described.add(describe(admin, group));

      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(SamsaInterop.props(bootstrap, Map.of()))) {
        for (int p = 0; p < partitions; p++) for (int i = 0; i < after; i++) producer.send(new ProducerRecord<>(topic, p, null, ("after-" + p + "-" + i).getBytes()));
      }
      waitConsumed(members, expect + after * partitions, timeoutMs);
    } catch (Exception e) {
      out.put("error", SamsaInterop.error(e)); // with the members' reports, for the failure message
    } finally {
      for (Member m : members) m.stop = true;
      for (Member m : members) m.thread.join(timeoutMs);
      out.put("members", members.stream().map(Member::report).toList());
    }
    return out;
  }
}
