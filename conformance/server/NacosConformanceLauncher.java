// Launcher for the real Nacos server used by the effect-nacos conformance tests.
//
// Run in Java source-file mode (no build step), with the classpath resolved by pom.xml:
//   CLASSPATH=<resolved jars> java [jvm flags] conformance/server/NacosConformanceLauncher.java \
//     --spring.config.additional-location=file:<nacos.home>/conf/
//
// It brings up a standalone "merged" deployment the same way the official distribution does:
// a core context without web server, then the server-web context (OpenAPI + gRPC, port
// nacos.server.main.port, context /nacos) and the console context (port nacos.console.port,
// root context), both children of the core context.
//
// Optional system properties (used by nacos-server.ts so that no orphan JVM survives the
// Node process that started it):
//   -Dconformance.exitOnStdinEof=true    exit when stdin reaches EOF (parent pipe closed)
//   -Dconformance.parentPid=<pid>         exit when that process is gone ...
//   -Dconformance.parentWatchFile=<file>  ... but only while this file exists (detached start-up)
//   -Dconformance.deleteHomeOnExit=true   on such an exit, also delete nacos.home

import com.alibaba.nacos.NacosServerBasicApplication;
import com.alibaba.nacos.NacosServerWebApplication;
import com.alibaba.nacos.console.NacosConsole;
import com.alibaba.nacos.core.listener.startup.NacosStartUp;
import com.alibaba.nacos.core.listener.startup.NacosStartUpManager;
import com.alibaba.nacos.sys.env.DeploymentType;
import com.alibaba.nacos.sys.env.EnvUtil;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

public final class NacosConformanceLauncher {

    private static final List<ConfigurableApplicationContext> CONTEXTS = new ArrayList<>();

    private static final AtomicBoolean EXITING = new AtomicBoolean(false);

    private NacosConformanceLauncher() {
    }

    public static void main(String[] args) {
        if (System.getProperty("nacos.standalone") == null) {
            System.setProperty("nacos.standalone", "true");
        }
        startParentWatchdogs();

        long t0 = System.nanoTime();
        EnvUtil.setDeploymentType(DeploymentType.MERGED);

        NacosStartUpManager.start(NacosStartUp.CORE_START_UP_PHASE);
        ConfigurableApplicationContext core = new SpringApplicationBuilder(NacosServerBasicApplication.class)
                .web(WebApplicationType.NONE)
                .run(args);
        remember(core);

        NacosStartUpManager.start(NacosStartUp.WEB_START_UP_PHASE);
        remember(new SpringApplicationBuilder(NacosServerWebApplication.class).parent(core).run(args));

        NacosStartUpManager.start(NacosStartUp.CONSOLE_START_UP_PHASE);
        remember(new SpringApplicationBuilder(NacosConsole.class).parent(core).run(args));

        long ms = (System.nanoTime() - t0) / 1_000_000L;
        System.out.println("[conformance] nacos contexts started in " + ms + " ms");
        System.out.flush();
    }

    private static void remember(ConfigurableApplicationContext context) {
        synchronized (CONTEXTS) {
            CONTEXTS.add(context);
        }
    }

    private static void startParentWatchdogs() {
        if (Boolean.getBoolean("conformance.exitOnStdinEof")) {
            daemon("conformance-stdin-watchdog", () -> {
                InputStream in = System.in;
                byte[] buf = new byte[256];
                try {
                    while (in.read(buf) >= 0) {
                        // keep draining until the parent closes the pipe
                    }
                } catch (IOException ignored) {
                    // treat a broken pipe like EOF
                }
                exitBecause("stdin closed (parent process gone)");
            });
        }
        String parentPid = System.getProperty("conformance.parentPid");
        if (parentPid != null && !parentPid.isBlank()) {
            long pid = Long.parseLong(parentPid.trim());
            String watchFile = System.getProperty("conformance.parentWatchFile");
            daemon("conformance-parent-watchdog", () -> {
                while (true) {
                    if (watchFile != null && !Files.exists(Paths.get(watchFile))) {
                        return; // the parent handed this JVM over (detached mode)
                    }
                    boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                    if (!alive) {
                        exitBecause("parent process " + pid + " gone");
                    }
                    try {
                        Thread.sleep(1000L);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
    }

    private static void exitBecause(String reason) {
        if (!EXITING.compareAndSet(false, true)) {
            return;
        }
        System.err.println("[conformance] shutting down: " + reason);
        // Never let a slow shutdown keep the JVM alive for long.
        daemon("conformance-halt", () -> {
            try {
                Thread.sleep(8000L);
            } catch (InterruptedException ignored) {
                // fall through
            }
            Runtime.getRuntime().halt(1);
        });
        List<ConfigurableApplicationContext> contexts;
        synchronized (CONTEXTS) {
            contexts = new ArrayList<>(CONTEXTS);
        }
        for (int i = contexts.size() - 1; i >= 0; i--) {
            try {
                contexts.get(i).close();
            } catch (Throwable ignored) {
                // keep closing the others
            }
        }
        String home = System.getProperty("nacos.home");
        if (Boolean.getBoolean("conformance.deleteHomeOnExit") && home != null && !home.isBlank()) {
            deleteTree(Paths.get(home));
        }
        Runtime.getRuntime().halt(0);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }
}
