// Drives the Apache Kafka Java client (kafka-clients) for Samsa's interop tests. One JVM runs a
// scenario: `java SamsaInterop spec.json`, where the spec names the bootstrap server and a list
// of steps (produce, consume, group, positions, admin, txn). It prints one JSON line:
// {"results":[one per step]} or, when a step throws, {"results":[...],"error":{...}} and exits 1.
// Bytes travel as hex so that keys, values and headers come back unchanged.
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.TopicPartition;

public final class SamsaInterop {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HexFormat HEX = HexFormat.of();

  public static void main(String[] args) throws Exception {
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = JSON.readValue(Files.readAllBytes(Path.of(args[0])), Map.class);
    String bootstrap = str(spec, "bootstrap");
    List<Object> results = new ArrayList<>();
    int code = 0;
    Map<String, Object> out = obj("results", results);
    try {
      for (Map<String, Object> step : maps(spec.get("steps"))) {
        String cmd = str(step, "cmd");
        results.add(switch (cmd) {
          case "produce" -> Records.produce(bootstrap, step);
          case "consume" -> Records.consume(bootstrap, step);
          case "positions" -> Records.positions(bootstrap, step);
          case "group" -> Groups.run(bootstrap, step);
          case "admin" -> AdminOps.run(bootstrap, step);
          case "txn" -> Txn.run(bootstrap, step);
          default -> throw new IllegalArgumentException("unknown step " + cmd);
        });
      }
    } catch (Throwable e) {
      out.put("error", error(e));
      out.put("step", results.size());
      code = 1;
    }
    System.out.println(JSON.writeValueAsString(out));
    System.out.flush();
    // Client threads (e.g. a producer's sender in a failed step) must not keep the JVM alive.
    Runtime.getRuntime().halt(code);
  }

  // ---------------------------------------------------------------------------------------
  // JSON helpers: specs are Jackson's maps and lists.

  /** An insertion-ordered map from alternating keys and values; null values allowed. */
  static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> maps(Object o) {
    return o == null ? List.of() : (List<Map<String, Object>>) o;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return o == null ? Map.of() : (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o) {
    return o == null ? List.of() : (List<Object>) o;
  }

  static String str(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v == null ? null : v.toString();
  }

  static int num(Map<String, Object> m, String key, int dflt) {
    Object v = m.get(key);
    return v == null ? dflt : ((Number) v).intValue();
  }

  static long lng(Map<String, Object> m, String key, long dflt) {
    Object v = m.get(key);
    return v == null ? dflt : ((Number) v).longValue();
  }

  static byte[] unhex(Object s) {
    return s == null ? null : HEX.parseHex((String) s);
  }

  static String hex(byte[] b) {
    return b == null ? null : HEX.formatHex(b);
  }

  /** Client properties: bootstrap, byte-array (de)serializers, then the step's `config`. */
  static Properties props(String bootstrap, Map<String, Object> step) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    p.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    p.put("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    p.put("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer");
    for (Map.Entry<String, Object> e : map(step.get("config")).entrySet()) p.put(e.getKey(), e.getValue().toString());
    return p;
  }

  static Map<String, Object> error(Throwable e) {
    Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    StringBuilder causes = new StringBuilder();
    for (Throwable x = c.getCause(); x != null && x != x.getCause(); x = x.getCause()) causes.append(" <- ").append(x.getClass().getSimpleName()).append(": ").append(x.getMessage());
    return obj("name", c.getClass().getSimpleName(), "str", c.getMessage() + causes);
  }

  static String tp(TopicPartition tp) {
    return tp.topic() + ":" + tp.partition();
  }

  static TopicPartition tp(String s) {
    int at = s.lastIndexOf(':');
    return new TopicPartition(s.substring(0, at), Integer.parseInt(s.substring(at + 1)));
  }

  static List<Integer> partitionsOf(Collection<TopicPartition> tps) {
    return tps.stream().map(TopicPartition::partition).sorted().toList();
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
