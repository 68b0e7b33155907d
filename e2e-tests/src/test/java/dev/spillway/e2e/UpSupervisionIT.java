package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code ./spillway up} as a user runs it, in a subprocess with its own SPILLWAY_HOME and ports, on the jars the
 * reactor built (SPILLWAY_SKIP_BUILD=1): a control plane killed with SIGKILL is restarted while the node keeps
 * answering every request from its snapshot, the local IdP comes back too, and SIGTERM stops every process it
 * started (PostgreSQL included). The steps build on each other, so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UpSupervisionIT {
  private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
  private static final Pattern DEMO_KEY = Pattern.compile("^\\s*(sk-sw-[A-Za-z0-9_-]+)\\s*$");
  private static final Set<Integer> TAKEN = Set.of(8080, 8000, 8090, 55432, 55442, 55452);

  static Path repo;
  static Path home;
  static int cpPort;
  static int dpPort;
  static int idpPort;
  static int pgPort;
  static int cpAdminPort;
  static int dpAdminPort;
  static Process up;
  /** What up writes to its terminal. A file, not a pipe: the JDK closes a child's pipe when the child exits. */
  static Path terminal;
  static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  static String demoKey;
  /**
   * Every process seen under {@code up} or in its PID files; all must be gone after SIGTERM. Handles, not PIDs: a
   * handle knows its process's start time, so a PID reused meanwhile does not count as alive.
   */
  static final Map<Long, ProcessHandle> started = new ConcurrentHashMap<>();

  @BeforeAll
  static void startUp() throws Exception {
    repo = repositoryRoot();
    home = Files.createTempDirectory("spillway-up-it");
    // PostgreSQL runs as the postgres user when the tests run as root: it must be able to enter the directory.
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
    int[] ports = freePorts(6);
    cpPort = ports[0];
    dpPort = ports[1];
    idpPort = ports[2];
    pgPort = ports[3];
    cpAdminPort = ports[4];
    dpAdminPort = ports[5];

    terminal = home.resolve("terminal.txt");
    ProcessBuilder builder = new ProcessBuilder(repo.resolve("spillway").toString(), "up")
        .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(terminal.toFile());
    environment(builder.environment());
    up = builder.start();

    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> {
      if (!up.isAlive()) {
        fail("./spillway up exited with " + up.exitValue() + " before it was ready:\n" + tail(40));
      }
      return output().stream().anyMatch(line -> line.startsWith("Spillway is ready"));
    });
    demoKey = output().stream().map(DEMO_KEY::matcher).filter(Matcher::matches).map(m -> m.group(1)).findFirst()
        .orElseThrow(() -> new AssertionError("no demo key in the output:\n" + tail(40)));
    rememberProcesses();
  }

  @AfterAll
  static void stopEverything() throws Exception {
    if (up != null && up.isAlive()) {
      up.destroy();
      if (!up.waitFor(30, TimeUnit.SECONDS)) {
        up.destroyForcibly();
      }
    }
    // Whatever a failed test left behind.
    rememberProcesses();
    started.values().forEach(ProcessHandle::destroyForcibly);
    if (home != null) {
      if (Files.exists(terminal)) {
        output().forEach(line -> System.out.println("[up] " + line));
      }
      ProcessBuilder stop = new ProcessBuilder(repo.resolve("db/local-postgres.sh").toString(), "stop")
          .directory(repo.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      environment(stop.environment());
      stop.start().waitFor(30, TimeUnit.SECONDS);
      try (Stream<Path> files = Files.walk(home)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  @Test
  @Order(1)
  void showsEveryComponentWithItsPid() throws Exception {
    String status = run(repo.resolve("spillway").toString(), "status");

    assertThat(status).contains("PostgreSQL: running on 127.0.0.1:" + pgPort + " (pid " + pid("postgres") + ")")
        .contains("control plane :" + cpPort + ": ready (pid " + pid("control-plane") + ")")
        .contains("node :" + dpPort + ": ready (pid " + pid("node") + ")")
        .contains("local IdP :" + idpPort + ": ready (pid " + pid("dev-idp") + ")")
        .contains("metrics http://127.0.0.1:" + cpAdminPort + "/metrics: serving")
        .contains("metrics http://127.0.0.1:" + dpAdminPort + "/metrics: serving");
    assertThat(String.join("\n", output())).contains("http://127.0.0.1:" + cpAdminPort + "/metrics (control plane)");
    assertThat(status("http://127.0.0.1:" + dpPort + "/metrics")).as("not on the public port").isEqualTo(404);
  }

  @Test
  @Order(2)
  void keepsTheNodeServingWhileTheControlPlaneIsKilledAndRestartsIt() throws Exception {
    assertThat(chat().statusCode()).isEqualTo(200);
    long killed = pid("control-plane");
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicInteger succeeded = new AtomicInteger();
    List<CompletableFuture<Void>> requests = new CopyOnWriteArrayList<>();
    ScheduledExecutorService every50ms = Executors.newSingleThreadScheduledExecutor();

    long start = System.nanoTime();
    every50ms.scheduleAtFixedRate(() -> requests.add(http.sendAsync(chatRequest(), HttpResponse.BodyHandlers.ofString())
        .handle((response, error) -> {
          if (error != null) {
            failures.add(error.toString());
          } else if (response.statusCode() != 200) {
            failures.add(response.statusCode() + " " + response.body());
          } else {
            succeeded.incrementAndGet();
          }
          return null;
        })), 0, 50, TimeUnit.MILLISECONDS);
    await().atMost(Duration.ofSeconds(2)).until(() -> succeeded.get() > 0);
    long killedAt = System.nanoTime();
    assertThat(ProcessHandle.of(killed).orElseThrow().destroyForcibly()).as("SIGKILL to the control plane").isTrue();

    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
        .until(() -> status("http://127.0.0.1:" + cpPort + "/readyz") == 200);
    double back = (System.nanoTime() - killedAt) / 1e9;
    every50ms.shutdown();
    assertThat(every50ms.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    CompletableFuture.allOf(requests.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    System.out.printf("UpSupervisionIT: control plane SIGKILLed; /readyz 200 again after %.1f s; %d requests to the "
        + "node over %.1f s, %d succeeded%n", back, requests.size(), (System.nanoTime() - start) / 1e9,
        succeeded.get());

    assertThat(failures).as("requests to the node that failed while the control plane was away").isEmpty();
    assertThat(requests).as("requests sent during the outage").hasSizeGreaterThan((int) (back * 20 * 0.5));
    assertThat(succeeded.get()).isEqualTo(requests.size());
    long restarted = pid("control-plane");
    assertThat(restarted).isNotEqualTo(killed);
    assertThat(ProcessHandle.of(restarted)).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
    String logged = "control-plane exited unexpectedly (exit status 137, killed by SIGKILL)";
    assertThat(Files.readString(home.resolve("logs/control-plane.log"))).contains(logged)
        .contains("restarted control-plane (pid " + restarted + ", restart 1)");
    assertThat(Files.readString(home.resolve("logs/up.log"))).contains(logged);
    assertThat(output()).anyMatch(line -> line.startsWith("[spillway] " + logged));
    rememberProcesses();
  }

  @Test
  @Order(3)
  void restartsTheLocalIdp() throws Exception {
    long killed = pid("dev-idp");
    assertThat(ProcessHandle.of(killed).orElseThrow().destroyForcibly()).as("SIGKILL to the local IdP").isTrue();

    String discovery = "http://127.0.0.1:" + idpPort + "/default/.well-known/openid-configuration";
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
        .until(() -> ProcessHandle.of(killed).isEmpty() && status(discovery) == 200);

    assertThat(pid("dev-idp")).isNotEqualTo(killed);
    assertThat(Files.readString(home.resolve("logs/dev-idp.log")))
        .contains("dev-idp exited unexpectedly (exit status 137, killed by SIGKILL)", "restarted dev-idp");
    assertThat(chat().statusCode()).isEqualTo(200);
    rememberProcesses();
  }

  @Test
  @Order(4)
  void stopsEveryProcessItStartedOnSigterm() throws Exception {
    rememberProcesses();
    assertThat(started).hasSizeGreaterThanOrEqualTo(6);

    long stopping = System.nanoTime();
    up.destroy();
    assertThat(up.waitFor(30, TimeUnit.SECONDS)).as("./spillway up stops on SIGTERM").isTrue();
    System.out.printf("UpSupervisionIT: ./spillway up stopped %.1f s after SIGTERM%n",
        (System.nanoTime() - stopping) / 1e9);

    assertThat(up.exitValue()).isEqualTo(143);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(started.values()).as("processes started by ./spillway up").noneMatch(ProcessHandle::isAlive);
      assertThat(processesMentioningHome()).as("processes that mention " + home).isEmpty();
      assertThat(output()).contains("[spillway] stopping", "[db] PostgreSQL stopped");
    });
    try (Stream<Path> pidFiles = Files.list(home.resolve("run"))) {
      assertThat(pidFiles.map(Path::getFileName).map(Path::toString)).noneMatch(name -> name.endsWith(".pid"));
    }
  }

  // --- helpers ---------------------------------------------------------------------------------------------------

  private static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isExecutable(dir.resolve("spillway")) && Files.exists(dir.resolve("pom.xml"))) {
        return dir;
      }
    }
    throw new AssertionError("no ./spillway above " + Path.of("").toAbsolutePath());
  }

  /** The caller's environment without its SPILLWAY_* settings (./spillway test sets some), plus this test's own. */
  private static void environment(Map<String, String> env) {
    env.keySet().removeIf(name -> name.startsWith("SPILLWAY_"));
    env.put("SPILLWAY_HOME", home.toString());
    env.put("SPILLWAY_CP_PORT", String.valueOf(cpPort));
    env.put("SPILLWAY_DP_PORT", String.valueOf(dpPort));
    env.put("SPILLWAY_DEV_IDP_PORT", String.valueOf(idpPort));
    env.put("SPILLWAY_PG_PORT", String.valueOf(pgPort));
    // The metrics ports too: their defaults (9080, port + 1000) may be taken by another stack on this machine.
    env.put("SPILLWAY_CP_ADMIN_PORT", String.valueOf(cpAdminPort));
    env.put("SPILLWAY_DP_ADMIN_PORT", String.valueOf(dpAdminPort));
    env.put("SPILLWAY_SKIP_BUILD", "1");
  }

  private static int[] freePorts(int count) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      while (sockets.size() < count) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        if (TAKEN.contains(socket.getLocalPort())) {
          socket.close();
        } else {
          sockets.add(socket);
        }
      }
      return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
    } finally {
      for (ServerSocket socket : sockets) {
        socket.close();
      }
    }
  }

  /** The terminal output of up so far, without colours. */
  private static List<String> output() {
    try {
      return new String(Files.readAllBytes(terminal), StandardCharsets.UTF_8).lines()
          .map(line -> ANSI.matcher(line).replaceAll("")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String tail(int lines) {
    List<String> output = output();
    return String.join("\n", output.subList(Math.max(0, output.size() - lines), output.size()));
  }

  private static long pid(String component) throws IOException {
    return Long.parseLong(Files.readString(home.resolve("run/" + component + ".pid")).trim());
  }

  /** The processes under {@code up} and in its PID files, with their children (PostgreSQL's backends). */
  private static void rememberProcesses() {
    if (up != null) {
      remember(up.toHandle());
      up.descendants().forEach(UpSupervisionIT::remember);
    }
    Path run = home == null ? null : home.resolve("run");
    if (run == null || !Files.isDirectory(run)) {
      return;
    }
    try (Stream<Path> files = Files.list(run)) {
      files.filter(f -> f.toString().endsWith(".pid")).forEach(f -> {
        try {
          ProcessHandle.of(Long.parseLong(Files.readString(f).trim())).ifPresent(p -> {
            remember(p);
            p.descendants().forEach(UpSupervisionIT::remember);
          });
        } catch (IOException | NumberFormatException e) {
          // A PID file being replaced; the next look finds it.
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void remember(ProcessHandle process) {
    started.putIfAbsent(process.pid(), process);
  }

  /** Processes whose command line or environment names this test's SPILLWAY_HOME (Linux /proc). */
  private static List<String> processesMentioningHome() {
    String needle = home.toString();
    List<String> found = new ArrayList<>();
    ProcessHandle.allProcesses().filter(p -> p.pid() != ProcessHandle.current().pid()).forEach(p -> {
      for (String file : List.of("cmdline", "environ")) {
        try {
          String text = new String(Files.readAllBytes(Path.of("/proc", String.valueOf(p.pid()), file)),
              StandardCharsets.UTF_8);
          if (text.contains(needle)) {
            found.add(p.pid() + " " + p.info().commandLine().orElse(text.replace('\0', ' ')));
            return;
          }
        } catch (IOException | SecurityException e) {
          // Gone meanwhile, or not ours to read.
        }
      }
    });
    return found;
  }

  private static HttpRequest chatRequest() {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dpPort + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + demoKey)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(
            "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"still there?\"}]}"))
        .build();
  }

  private static HttpResponse<String> chat() throws IOException, InterruptedException {
    return http.send(chatRequest(), HttpResponse.BodyHandlers.ofString());
  }

  private static int status(String url) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).GET().build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true);
    environment(builder.environment());
    Process process = builder.start();
    String text = ANSI.matcher(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .replaceAll("");
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return text;
  }
}
