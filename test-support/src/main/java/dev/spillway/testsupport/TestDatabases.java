package dev.spillway.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Hands out fresh, empty databases on a real PostgreSQL with pgvector. Never H2.
 *
 * <p>The server is, in order of preference:
 * <ol>
 *   <li>{@code SPILLWAY_TEST_DB_URL} (+ {@code _USER}, {@code _PASSWORD}), as {@code ./spillway test} sets it;</li>
 *   <li>the local server of {@code db/local-postgres.sh}, found through {@code .spillway/db.env} above the
 *       working directory (so tests run from an IDE too);</li>
 *   <li>a Testcontainers {@code pgvector/pgvector:pg17} container, where Docker exists.</li>
 * </ol>
 * Each test class gets its own database (CREATE DATABASE is a file copy, ~50 ms), dropped at JVM exit.
 */
public final class TestDatabases {
  private static final String IMAGE = "pgvector/pgvector:pg17";
  private static Server server;
  private static final List<TestDatabase> created = new ArrayList<>();

  private record Server(String baseUrl, String user, String password, String source) {}

  private TestDatabases() {}

  /** A new empty database whose name starts with {@code prefix}. */
  public static synchronized TestDatabase create(String prefix) {
    Server s = server();
    String name = ("t_" + prefix + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 8))
        .toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    try (Connection c = connect(s.baseUrl + "postgres", s); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database on " + s.baseUrl + " (" + s.source + "): "
          + e.getMessage(), e);
    }
    TestDatabase db = new TestDatabase(s.baseUrl + name, s.user, s.password, name);
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE EXTENSION IF NOT EXISTS vector");
    } catch (SQLException e) {
      // Without superuser rights the extension must come from template1 (db/local-postgres.sh puts it there).
      if (!e.getMessage().contains("permission denied")) {
        throw new IllegalStateException("cannot enable pgvector in " + name + ": " + e.getMessage(), e);
      }
    }
    created.add(db);
    return db;
  }

  /** Where the databases come from, for test output. */
  public static synchronized String describeServer() {
    Server s = server();
    return s.baseUrl + " (" + s.source + ")";
  }

  private static Server server() {
    if (server != null) {
      return server;
    }
    server = fromEnvironment();
    if (server == null) {
      server = fromLocalScript();
    }
    if (server == null) {
      server = fromDocker();
    }
    if (server == null) {
      throw new IllegalStateException("No PostgreSQL for tests. Run ./spillway test (it starts one), or "
          + "db/local-postgres.sh start, or set SPILLWAY_TEST_DB_URL, or make Docker available.");
    }
    Runtime.getRuntime().addShutdownHook(new Thread(TestDatabases::dropAll, "drop-test-databases"));
    return server;
  }

  private static Server fromEnvironment() {
    String url = setting("SPILLWAY_TEST_DB_URL");
    if (url == null || url.isBlank()) {
      return null;
    }
    return new Server(baseUrl(url), orDefault(setting("SPILLWAY_TEST_DB_USER"), "spillway"),
        orDefault(setting("SPILLWAY_TEST_DB_PASSWORD"), ""), "SPILLWAY_TEST_DB_URL");
  }

  private static Server fromLocalScript() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path env = dir.resolve(".spillway/db.env");
      if (Files.isRegularFile(env)) {
        Map<String, String> values = readEnvFile(env);
        Server candidate = new Server(baseUrl(values.get("SPILLWAY_DB_URL")), values.get("SPILLWAY_DB_USER"),
            values.get("SPILLWAY_DB_PASSWORD"), env.toString());
        try (Connection ignored = connect(candidate.baseUrl + "postgres", candidate)) {
          return candidate;
        } catch (SQLException e) {
          return null;
        }
      }
    }
    return null;
  }

  @SuppressWarnings("resource")
  private static Server fromDocker() {
    boolean docker;
    try {
      docker = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      docker = false;
    }
    if (!docker) {
      return null;
    }
    PostgreSQLContainer container = new PostgreSQLContainer(
        DockerImageName.parse(IMAGE).asCompatibleSubstituteFor("postgres"));
    container.start();
    return new Server(baseUrl(container.getJdbcUrl()), container.getUsername(), container.getPassword(),
        "Testcontainers " + IMAGE);
  }

  private static synchronized void dropAll() {
    if (server == null) {
      return;
    }
    try (Connection c = connect(server.baseUrl + "postgres", server); Statement st = c.createStatement()) {
      for (TestDatabase db : created) {
        st.execute("DROP DATABASE IF EXISTS " + db.name() + " WITH (FORCE)");
      }
    } catch (SQLException e) {
      System.err.println("could not drop test databases: " + e.getMessage());
    }
  }

  private static Connection connect(String url, Server s) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", s.user);
    props.setProperty("password", s.password);
    props.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(url, props);
  }

  /** {@code jdbc:postgresql://host:port/db?x} to {@code jdbc:postgresql://host:port/}. */
  private static String baseUrl(String jdbcUrl) {
    String withoutParams = jdbcUrl.split("\\?", 2)[0];
    int slash = withoutParams.indexOf('/', "jdbc:postgresql://".length());
    return withoutParams.substring(0, slash + 1);
  }

  private static Map<String, String> readEnvFile(Path file) {
    Map<String, String> values = new HashMap<>();
    try {
      for (String line : Files.readAllLines(file)) {
        int eq = line.indexOf('=');
        if (eq > 0 && !line.startsWith("#")) {
          values.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
    return values;
  }

  private static String setting(String name) {
    String value = System.getProperty(name);
    return value != null ? value : System.getenv(name);
  }

  private static String orDefault(String value, String fallback) {
    return value == null ? fallback : value;
  }
}
