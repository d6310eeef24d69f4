// Peer driver for the Java client (com.alibaba.nacos:nacos-client) in `npm run bench:peers`; run in source-file
// mode on the classpath bench/peers/clients.ts resolves:
//
//   java -DlimitTime=1000000 -cp <classpath> bench/peers/drivers/PeerDriver.java <serverAddr> <workDir>
//
// It speaks the protocol of bench/peers/protocol.ts: JSON commands on stdin, one JSON line per reply or event on
// stdout (not fd 3: the JVM cannot open the socket Node passes there). Gets run on `inFlight` platform threads, since ConfigService#getConfig blocks.

import com.alibaba.nacos.api.NacosFactory;
import com.alibaba.nacos.api.PropertyKeyConst;
import com.alibaba.nacos.api.config.ConfigService;
import com.alibaba.nacos.api.config.listener.Listener;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

public class PeerDriver {
  private static final ObjectMapper JSON = new ObjectMapper();
  // threads outlive a batch, so no batch pays for starting its threads (daemons: they never hold the JVM)
  private static final ExecutorService WORKERS = Executors.newCachedThreadPool(task -> {
    Thread thread = new Thread(task);
    thread.setDaemon(true);
    return thread;
  });
  private static PrintStream out;

  private static synchronized void writeLine(Map<String, Object> line) throws Exception {
    out.println(JSON.writeValueAsString(line));
  }

  private static void event(String dataId, String content) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("type", "event");
    line.put("dataId", dataId);
    line.put("content", content);
    try {
      writeLine(line);
    } catch (Exception e) {
      e.printStackTrace();
    }
  }

  private static Listener listener(String dataId) {
    return new Listener() {
      @Override
      public Executor getExecutor() {
        return null;
      }

      @Override
      public void receiveConfigInfo(String content) {
        event(dataId, content);
      }
    };
  }

  public static void main(String[] args) throws Exception {
    String serverAddr = args[0];
    Path workDir = Path.of(args[1]);
    // read once by the client's static initialisers: set before any client class loads
    System.setProperty("JM.SNAPSHOT.PATH", workDir.toString());
    System.setProperty("JM.LOG.PATH", workDir.resolve("logs").toString());
    // the protocol owns stdout; anything a library prints goes to stderr (the driver's log)
    out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err);

    Properties properties = new Properties();
    properties.setProperty(PropertyKeyConst.SERVER_ADDR, serverAddr);
    ConfigService config = NacosFactory.createConfigService(properties);
    for (int i = 0; i < 300 && !"UP".equals(config.getServerStatus()); i++) Thread.sleep(100);
    if (!"UP".equals(config.getServerStatus())) throw new IllegalStateException("no connection to " + serverAddr);

    Map<String, Object> ready = new LinkedHashMap<>();
    ready.put("type", "ready");
    ready.put("client", "java");
    writeLine(ready);

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String text;
    while ((text = in.readLine()) != null) {
      if (text.isBlank()) continue;
      Map<String, Object> reply = new LinkedHashMap<>();
      reply.put("type", "reply");
      boolean closing = false;
      try {
        JsonNode command = JSON.readTree(text);
        String op = command.path("op").asText();
        closing = op.equals("close");
        handle(config, op, command, reply);
        reply.put("ok", true);
      } catch (Exception e) {
        reply.put("ok", false);
        reply.put("error", String.valueOf(e));
      }
      writeLine(reply);
      if (closing) break;
    }
    System.exit(0);
  }

  private static void handle(ConfigService config, String op, JsonNode command, Map<String, Object> reply)
      throws Exception {
    String dataId = command.path("dataId").asText();
    String group = command.path("group").asText();
    switch (op) {
      case "get" -> get(config, dataId, group, command.path("inFlight").asInt(), command.path("requests").asInt(), reply);
      case "publish" -> {
        if (!config.publishConfig(dataId, group, command.path("content").asText())) {
          throw new IllegalStateException("publishConfig answered false");
        }
      }
      case "remove" -> {
        if (!config.removeConfig(dataId, group)) throw new IllegalStateException("removeConfig answered false");
      }
      case "watch" -> config.addListener(dataId, group, listener(dataId));
      case "watchMany" -> {
        String prefix = command.path("prefix").asText();
        int count = command.path("count").asInt();
        long begin = System.nanoTime();
        for (int i = 0; i < count; i++) config.addListener(prefix + i, group, listener(prefix + i));
        reply.put("millis", (System.nanoTime() - begin) / 1e6);
      }
      case "memory" -> {
        System.gc();
        System.gc();
        reply.put("heapBytes", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
      }
      case "close" -> config.shutDown();
      default -> throw new IllegalArgumentException("unknown op " + op);
    }
  }

  private static void get(ConfigService config, String dataId, String group, int inFlight, int requests,
      Map<String, Object> reply) throws Exception {
    long[] latencies = new long[requests];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    int workers = Math.min(inFlight, requests);
    CountDownLatch done = new CountDownLatch(workers);
    long begin = System.nanoTime();
    for (int t = 0; t < workers; t++) {
      WORKERS.execute(() -> {
        while (next.getAndIncrement() < requests) {
          long start = System.nanoTime();
          try {
            // null = not found, which a benchmark of an existing config counts as a failure
            if (config.getConfig(dataId, group, 3000) == null) errors.incrementAndGet();
            else latencies[answered.getAndIncrement()] = (System.nanoTime() - start) / 1000;
          } catch (Exception e) {
            errors.incrementAndGet();
          }
        }
        done.countDown();
      });
    }
    if (!done.await(10, TimeUnit.MINUTES)) throw new IllegalStateException("gets did not finish");
    double millis = (System.nanoTime() - begin) / 1e6;
    List<Long> samples = new ArrayList<>(answered.get());
    for (int i = 0; i < answered.get(); i++) samples.add(latencies[i]);
    reply.put("millis", millis);
    reply.put("latenciesMicros", samples);
    reply.put("errors", errors.get());
  }
}
