// Admin client operations: the step's `ops` run in order with one Admin; each yields
// {"op":..., "ok": result} or {"op":..., "error": {"name": exception class, "str": message}}
// so that the test states what Kafka's client must see.
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;

final class AdminOps {
  private AdminOps() {}

  static Map<String, Object> run(String bootstrap, Map<String, Object> step) {
    List<Object> results = new ArrayList<>();
    try (Admin admin = Admin.create(SamsaInterop.props(bootstrap, step))) {
      for (Map<String, Object> op : SamsaInterop.maps(step.get("ops"))) {
        String name = SamsaInterop.str(op, "op");
        Map<String, Object> r = SamsaInterop.obj("op", name);
        try {
          r.put("ok", one(admin, name, op));
        } catch (Exception e) {
          r.put("error", SamsaInterop.error(e));
        }
        results.add(r);
      }
    }
    return SamsaInterop.obj("ops", results);
  }

  private static List<String> names(Map<String, Object> op, String key) {
    return SamsaInterop.list(op.get(key)).stream().map(Object::toString).toList();
  }

  private static Map<TopicPartition, Long> offsets(Map<String, Object> op) {
    Map<TopicPartition, Long> m = new HashMap<>();
    SamsaInterop.map(op.get("offsets")).forEach((k, v) -> m.put(SamsaInterop.tp(k), ((Number) v).longValue()));
    return m;
  }

  /** Topic ids; "$name" stands for the id of topic `name` (looked up by name). */
  private static List<Uuid> ids(Admin admin, Map<String, Object> op) throws Exception {
    List<Uuid> out = new ArrayList<>();
    for (String s : names(op, "ids")) out.add(s.startsWith("$") ? admin.describeTopics(List.of(s.substring(1))).allTopicNames().get().get(s.substring(1)).topicId() : Uuid.fromString(s));
    return out;
  }

  /** Operation names in order; null when the broker left them out. */
  private static Object sorted(Set<AclOperation> ops) {
    return ops == null ? null : ops.stream().map(Enum::name).sorted().toList();
  }

  private static Object node(Node n) {
    return n == null ? null : SamsaInterop.obj("id", n.id(), "host", n.host(), "port", n.port(), "rack", n.rack());
  }

  @SuppressWarnings({"deprecation", "removal"}) // listConsumerGroups: the API this suite checks
  private static Object one(Admin admin, String name, Map<String, Object> op) throws Exception {
    switch (name) {
      case "createTopics": {
        List<NewTopic> topics = new ArrayList<>();
        for (Map<String, Object> t : SamsaInterop.maps(op.get("topics"))) {
          NewTopic nt = new NewTopic(SamsaInterop.str(t, "name"), Optional.ofNullable((Integer) t.get("partitions")), Optional.ofNullable(t.get("replicationFactor") == null ? null : ((Number) t.get("replicationFactor")).shortValue()));
          Map<String, String> configs = new HashMap<>();
          SamsaInterop.map(t.get("configs")).forEach((k, v) -> configs.put(k, v.toString()));
          topics.add(nt.configs(configs));
        }
        CreateTopicsResult res = admin.createTopics(topics, new CreateTopicsOptions().validateOnly(Boolean.TRUE.equals(op.get("validateOnly"))));
        Map<String, Object> out = SamsaInterop.obj();
        try {
          res.all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          // reported per topic below
        }
        for (NewTopic t : topics) {
          try {
            Config config = res.config(t.name()).get();
            out.put(t.name(), SamsaInterop.obj("partitions", res.numPartitions(t.name()).get(), "replicationFactor", res.replicationFactor(t.name()).get(), "topicId", String.valueOf(res.topicId(t.name()).get()), "configCount", config.entries().size()));
          } catch (Exception e) {
            out.put(t.name(), SamsaInterop.obj("error", SamsaInterop.error(e)));
          }
        }
        return out;
      }
      case "deleteTopics":
        admin.deleteTopics(names(op, "names")).all().get();
        return true;
      case "listTopics":
        return admin.listTopics().names().get().stream().sorted().toList();
      case "describeTopics": {
        Map<String, Object> out = SamsaInterop.obj();
        for (TopicDescription d : admin.describeTopics(names(op, "names")).allTopicNames().get().values()) {
          List<Object> ps = new ArrayList<>();
          for (TopicPartitionInfo p : d.partitions()) ps.add(SamsaInterop.obj("partition", p.partition(), "leader", p.leader() == null ? null : p.leader().id(), "replicas", p.replicas().stream().map(Node::id).toList(), "isr", p.isr().stream().map(Node::id).toList()));
          out.put(d.name(), SamsaInterop.obj("internal", d.isInternal(), "topicId", String.valueOf(d.topicId()), "partitions", ps));
        }
        return out;
      }
      case "createPartitions":
        admin.createPartitions(Map.of(SamsaInterop.str(op, "topic"), NewPartitions.increaseTo(SamsaInterop.num(op, "total", 0)))).all().get();
        return true;
      case "describeConfigs": {
        List<ConfigResource> rs = new ArrayList<>();
        for (String t : names(op, "topics")) rs.add(new ConfigResource(ConfigResource.Type.TOPIC, t));
        for (String b : names(op, "brokers")) rs.add(new ConfigResource(ConfigResource.Type.BROKER, b));
        List<String> keys = names(op, "keys");
        Map<String, Object> out = SamsaInterop.obj();
        for (Map.Entry<ConfigResource, Config> e : admin.describeConfigs(rs).all().get().entrySet()) {
          Map<String, Object> entries = SamsaInterop.obj();
          for (ConfigEntry c : e.getValue().entries()) {
            if (!keys.isEmpty() && !keys.contains(c.name())) continue;
            entries.put(c.name(), SamsaInterop.obj("value", c.value(), "source", String.valueOf(c.source()), "readOnly", c.isReadOnly(), "sensitive", c.isSensitive(), "default", c.isDefault(), "type", String.valueOf(c.type())));
          }
          out.put(e.getKey().type() + ":" + e.getKey().name(), SamsaInterop.obj("count", e.getValue().entries().size(), "entries", entries));
        }
        return out;
      }
      case "incrementalAlterConfigs": {
        List<AlterConfigOp> ops = new ArrayList<>();
        SamsaInterop.map(op.get("set")).forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v.toString()), AlterConfigOp.OpType.SET)));
        for (String k : names(op, "delete")) ops.add(new AlterConfigOp(new ConfigEntry(k, null), AlterConfigOp.OpType.DELETE));
        ConfigResource.Type type = "broker".equals(op.get("type")) ? ConfigResource.Type.BROKER : ConfigResource.Type.TOPIC;
        Map<ConfigResource, Collection<AlterConfigOp>> req = Map.of(new ConfigResource(type, SamsaInterop.str(op, "name")), ops);
        admin.incrementalAlterConfigs(req).all().get();
        return true;
      }
      case "listConsumerGroups": {
        Collection<ConsumerGroupListing> gs = admin.listConsumerGroups().all().get();
        List<Object> out = new ArrayList<>();
        for (ConsumerGroupListing g : gs) out.add(SamsaInterop.obj("groupId", g.groupId(), "state", String.valueOf(g.groupState().orElse(null)), "type", String.valueOf(g.type().orElse(null)), "simple", g.isSimpleConsumerGroup()));
        out.sort((a, b) -> SamsaInterop.str(SamsaInterop.map(a), "groupId").compareTo(SamsaInterop.str(SamsaInterop.map(b), "groupId")));
        return out;
      }
      case "describeConsumerGroups": {
        Map<String, Object> out = SamsaInterop.obj();
        for (ConsumerGroupDescription d : admin.describeConsumerGroups(names(op, "groups")).all().get().values()) {
          List<Object> ms = new ArrayList<>();
          for (MemberDescription m : d.members()) ms.add(SamsaInterop.obj("memberId", m.consumerId(), "clientId", m.clientId(), "partitions", m.assignment().topicPartitions().stream().map(SamsaInterop::tp).sorted().toList()));
          out.put(d.groupId(), SamsaInterop.obj("state", String.valueOf(d.groupState()), "assignor", d.partitionAssignor(), "simple", d.isSimpleConsumerGroup(), "type", String.valueOf(d.type()), "coordinator", node(d.coordinator()), "members", ms));
        }
        return out;
      }
      case "listConsumerGroupOffsets": {
        Map<String, Object> out = SamsaInterop.obj();
        Map<TopicPartition, OffsetAndMetadata> got = admin.listConsumerGroupOffsets(SamsaInterop.str(op, "group")).partitionsToOffsetAndMetadata().get();
        got.entrySet().stream().sorted((a, b) -> SamsaInterop.tp(a.getKey()).compareTo(SamsaInterop.tp(b.getKey()))).forEach(e -> out.put(SamsaInterop.tp(e.getKey()), e.getValue() == null ? null : SamsaInterop.obj("offset", e.getValue().offset(), "metadata", e.getValue().metadata())));
        return out;
      }
      case "alterConsumerGroupOffsets": {
        Map<TopicPartition, OffsetAndMetadata> req = new HashMap<>();
        offsets(op).forEach((tp, o) -> req.put(tp, new OffsetAndMetadata(o)));
        admin.alterConsumerGroupOffsets(SamsaInterop.str(op, "group"), req).all().get();
        return true;
      }
      case "deleteConsumerGroups":
        admin.deleteConsumerGroups(names(op, "groups")).all().get();
        return true;
      case "deleteRecords": {
        Map<TopicPartition, RecordsToDelete> req = new HashMap<>();
        offsets(op).forEach((tp, o) -> req.put(tp, RecordsToDelete.beforeOffset(o)));
        Map<String, Object> out = SamsaInterop.obj();
        for (var e : admin.deleteRecords(req).lowWatermarks().entrySet()) out.put(SamsaInterop.tp(e.getKey()), e.getValue().get().lowWatermark());
        return out;
      }
      case "listOffsets": {
        String spec = SamsaInterop.str(op, "spec");
        OffsetSpec os = switch (spec) {
          case "earliest" -> OffsetSpec.earliest();
          case "latest" -> OffsetSpec.latest();
          case "maxTimestamp" -> OffsetSpec.maxTimestamp();
          case "earliestLocal" -> OffsetSpec.earliestLocal();
          default -> OffsetSpec.forTimestamp(Long.parseLong(spec));
        };
        Map<TopicPartition, OffsetSpec> req = new HashMap<>();
        for (String t : names(op, "partitions")) req.put(SamsaInterop.tp(t), os);
        Map<String, Object> out = SamsaInterop.obj();
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : admin.listOffsets(req, new ListOffsetsOptions("read_committed".equals(op.get("isolation")) ? IsolationLevel.READ_COMMITTED : IsolationLevel.READ_UNCOMMITTED)).all().get().entrySet()) {
          out.put(SamsaInterop.tp(e.getKey()), SamsaInterop.obj("offset", e.getValue().offset(), "timestamp", e.getValue().timestamp(), "leaderEpoch", e.getValue().leaderEpoch().orElse(null)));
        }
        return out;
      }
      case "describeCluster": {
        DescribeClusterResult d = admin.describeCluster();
        return SamsaInterop.obj("clusterId", d.clusterId().get(), "controller", node(d.controller().get()), "nodes", d.nodes().get().stream().map(AdminOps::node).toList());
      }
      case "describeLogDirs": {
        List<Integer> brokers = SamsaInterop.list(op.get("brokers")).stream().map(b -> ((Number) b).intValue()).toList();
        Map<String, Object> out = SamsaInterop.obj();
        for (var b : admin.describeLogDirs(brokers).allDescriptions().get().entrySet()) {
          Map<String, Object> dirs = SamsaInterop.obj();
          for (Map.Entry<String, LogDirDescription> d : b.getValue().entrySet()) {
            Map<String, Object> replicas = SamsaInterop.obj();
            d.getValue().replicaInfos().forEach((tp, info) -> replicas.put(SamsaInterop.tp(tp), SamsaInterop.obj("size", info.size(), "offsetLag", info.offsetLag(), "future", info.isFuture())));
            dirs.put(d.getKey(), SamsaInterop.obj("error", d.getValue().error() == null ? null : d.getValue().error().getClass().getSimpleName(), "replicas", replicas, "totalBytes", d.getValue().totalBytes().isPresent() ? d.getValue().totalBytes().getAsLong() : null, "usableBytes", d.getValue().usableBytes().isPresent() ? d.getValue().usableBytes().getAsLong() : null));
          }
          out.put(String.valueOf(b.getKey()), dirs);
        }
        return out;
      }
      case "describeTopicsById": {
        List<Uuid> ids = ids(admin, op);
        Map<String, Object> out = SamsaInterop.obj();
        for (var e : admin.describeTopics(TopicCollection.ofTopicIds(ids)).allTopicIds().get().entrySet()) out.put(e.getKey().toString(), SamsaInterop.obj("name", e.getValue().name(), "partitions", e.getValue().partitions().size()));
        return out;
      }
      case "deleteTopicsById":
        admin.deleteTopics(TopicCollection.ofTopicIds(ids(admin, op))).all().get();
        return true;
      case "listGroups": {
        List<Object> out = new ArrayList<>();
        for (GroupListing g : admin.listGroups().all().get()) out.add(SamsaInterop.obj("groupId", g.groupId(), "type", String.valueOf(g.type().orElse(null)), "protocol", g.protocol(), "state", String.valueOf(g.groupState().orElse(null))));
        return out;
      }
      case "authorizedOperations": {
        Object cluster = sorted(admin.describeCluster(new DescribeClusterOptions().includeAuthorizedOperations(true)).authorizedOperations().get());
        var topics = admin.describeTopics(names(op, "topics"), new DescribeTopicsOptions().includeAuthorizedOperations(true)).allTopicNames().get().values().stream().map(d -> sorted(d.authorizedOperations())).toList();
        var groups = admin.describeConsumerGroups(names(op, "groups"), new DescribeConsumerGroupsOptions().includeAuthorizedOperations(true)).all().get().values().stream().map(d -> sorted(d.authorizedOperations())).toList();
        return SamsaInterop.obj("cluster", cluster, "topics", topics, "groups", groups);
      }
      case "describeConfigsFull": {
        ConfigResource r = new ConfigResource("broker".equals(op.get("type")) ? ConfigResource.Type.BROKER : ConfigResource.Type.TOPIC, SamsaInterop.str(op, "name"));
        Config c = admin.describeConfigs(List.of(r), new DescribeConfigsOptions().includeSynonyms(true).includeDocumentation(true)).all().get().get(r);
        Map<String, Object> out = SamsaInterop.obj();
        for (String k : names(op, "keys")) {
          ConfigEntry e = c.get(k);
          out.put(k, e == null ? null : SamsaInterop.obj("value", e.value(), "source", String.valueOf(e.source()), "doc", e.documentation() != null, "synonyms", e.synonyms().stream().map(x -> x.name() + "=" + x.value() + "@" + x.source()).toList()));
        }
        return out;
      }
      case "deleteConsumerGroupOffsets": {
        Set<TopicPartition> tps = new HashSet<>();
        for (String t : names(op, "partitions")) tps.add(SamsaInterop.tp(t));
        admin.deleteConsumerGroupOffsets(SamsaInterop.str(op, "group"), tps).all().get();
        return true;
      }
      case "listTransactions": {
        List<Object> out = new ArrayList<>();
        for (TransactionListing t : admin.listTransactions().all().get()) out.add(SamsaInterop.obj("transactionalId", t.transactionalId(), "producerId", t.producerId(), "state", String.valueOf(t.state())));
        return out;
      }
      case "describeTransactions": {
        Map<String, Object> out = SamsaInterop.obj();
        for (var e : admin.describeTransactions(names(op, "ids")).all().get().entrySet()) {
          TransactionDescription d = e.getValue();
          out.put(e.getKey(), SamsaInterop.obj("state", String.valueOf(d.state()), "producerId", d.producerId(), "producerEpoch", d.producerEpoch(), "coordinator", d.coordinatorId(), "timeoutMs", d.transactionTimeoutMs(), "partitions", d.topicPartitions().stream().map(SamsaInterop::tp).sorted().toList()));
        }
        return out;
      }
      case "describeProducers": {
        List<TopicPartition> tps = names(op, "partitions").stream().map(SamsaInterop::tp).toList();
        Map<String, Object> out = SamsaInterop.obj();
        for (var e : admin.describeProducers(tps).all().get().entrySet()) {
          List<Object> ps = new ArrayList<>();
          for (ProducerState x : e.getValue().activeProducers()) ps.add(SamsaInterop.obj("producerId", x.producerId(), "epoch", x.producerEpoch(), "lastSequence", x.lastSequence(), "coordinatorEpoch", x.coordinatorEpoch().isPresent() ? x.coordinatorEpoch().getAsInt() : null, "txnStartOffset", x.currentTransactionStartOffset().isPresent() ? x.currentTransactionStartOffset().getAsLong() : null));
          out.put(SamsaInterop.tp(e.getKey()), ps);
        }
        return out;
      }
      case "fenceProducers":
        admin.fenceProducers(names(op, "ids")).all().get();
        return true;
      default:
        throw new IllegalArgumentException("unknown admin op " + name);
    }
  }
}
