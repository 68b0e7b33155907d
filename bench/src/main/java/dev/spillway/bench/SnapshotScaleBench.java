package dev.spillway.bench;

import dev.spillway.config.EncodedSnapshot;
import dev.spillway.config.Sha256;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.controlplane.ControlPlaneApplication;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.security.SecretCipher;
import dev.spillway.controlplane.snapshot.PublishedSnapshot;
import dev.spillway.controlplane.snapshot.SnapshotAssembler;
import dev.spillway.controlplane.snapshot.SnapshotPublisher;
import dev.spillway.dataplane.config.NodeConfig;
import dev.spillway.dataplane.config.NodeConfigCompiler;
import dev.spillway.testsupport.TestDatabase;
import dev.spillway.testsupport.TestDatabases;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Snapshot scale: seeds a fresh database with 100,000 virtual keys, 1,000 teams and 200 routes (batch inserts),
 * then times what the control plane does for every config change (assemble in one transaction, validate, encode
 * canonically, hash, gzip, store) and what a node does with the result (gunzip, hash check, parse, validate,
 * compile into lookup tables), and the heap the compiled config holds.
 *
 * <p>Run: {@code mvn -B -q -pl bench -am -DskipTests package dependency:build-classpath
 * -Dmdep.outputFile=target/classpath.txt && java -Xmx2g -cp "bench/target/classes:$(cat bench/target/classpath.txt)"
 * dev.spillway.bench.SnapshotScaleBench [keys] [teams] [routes]} (PostgreSQL as for the tests: {@code
 * SPILLWAY_TEST_DB_URL} or the local one of {@code ./spillway up}).
 */
public final class SnapshotScaleBench {
  private static final int RUNS = 5;

  public static void main(String[] args) throws Exception {
    int keys = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int teams = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    int routes = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    int providers = 20;
    String nodeToken = "bench-node-" + random(24);
    TestDatabase db = TestDatabases.create("snapshot_scale");
    System.out.printf(Locale.ROOT, "machine: %d cores, %s, max heap %d MiB, %s %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"),
        Runtime.getRuntime().maxMemory() >> 20, System.getProperty("java.vm.name"), System.getProperty("java.version"));
    System.out.printf(Locale.ROOT, "database: %s%n", TestDatabases.describeServer());

    ConfigurableApplicationContext cp = new SpringApplicationBuilder(ControlPlaneApplication.class)
        .run("--server.port=0", "--management.server.port=0", "--server.address=127.0.0.1",
            "--spring.datasource.url=" + db.jdbcUrl(), "--spring.datasource.username=" + db.user(),
            "--spring.datasource.password=" + db.password(),
            "--spillway.admin-token=bench-admin-" + random(24), "--spillway.node-token=" + nodeToken,
            "--spillway.secret-key=" + Base64.getEncoder().encodeToString(randomBytes(32)),
            "--spillway.demo-seed-file=", "--logging.level.root=WARN");
    try {
      JdbcTemplate jdbc = cp.getBean(JdbcTemplate.class);
      long seedStart = System.nanoTime();
      seed(jdbc, cp.getBean(SecretCipher.class), keys, teams, routes, providers);
      System.out.printf(Locale.ROOT, "seeded %,d keys, %,d teams, %d routes, %d providers in %.1f s%n", keys, teams,
          routes, providers, (System.nanoTime() - seedStart) / 1e9);
      jdbc.execute("ANALYZE");

      SnapshotPublisher publisher = cp.getBean(SnapshotPublisher.class);
      SnapshotAssembler assembler = cp.getBean(SnapshotAssembler.class);
      SnapshotCodec codec = new SnapshotCodec();

      // Warm up (JIT, connection pool, PostgreSQL caches), then measure.
      for (int i = 0; i < 2; i++) {
        publisher.build();
      }
      long[] build = new long[RUNS];
      long[] assemble = new long[RUNS];
      long[] encode = new long[RUNS];
      PublishedSnapshot published = null;
      for (int i = 0; i < RUNS; i++) {
        long t0 = System.nanoTime();
        published = publisher.build();
        build[i] = System.nanoTime() - t0;
        long t1 = System.nanoTime();
        SnapshotConfig assembled = assembler.assemble().config();
        assemble[i] = System.nanoTime() - t1;
        long t2 = System.nanoTime();
        codec.encode(assembled);
        encode[i] = System.nanoTime() - t2;
      }
      EncodedSnapshot encoded = published.encoded();
      System.out.printf(Locale.ROOT, "snapshot: version %d, %,d bytes canonical JSON, %,d bytes gzipped (%.1f MiB)%n",
          encoded.version(), encoded.rawSize(), encoded.gzipped().length, encoded.gzipped().length / 1048576.0);
      report("build (assemble + validate + encode + store)", build);
      report("  of which assemble (one REPEATABLE READ transaction)", assemble);
      report("  of which encode (canonical JSON, sha-256, gzip)", encode);

      NodeConfigCompiler compiler = new NodeConfigCompiler(nodeToken);
      for (int i = 0; i < 2; i++) {
        compiler.compile(codec.decode(encoded.gzipped(), encoded.sha256()), encoded.sha256());
      }
      long[] apply = new long[RUNS];
      long[] heap = new long[RUNS];
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      NodeConfig keep = null;
      for (int i = 0; i < RUNS; i++) {
        keep = null;
        settle(memory);
        long before = memory.getHeapMemoryUsage().getUsed();
        long t0 = System.nanoTime();
        keep = compiler.compile(codec.decode(encoded.gzipped(), encoded.sha256()), encoded.sha256());
        apply[i] = System.nanoTime() - t0;
        settle(memory);
        heap[i] = memory.getHeapMemoryUsage().getUsed() - before;
      }
      System.out.printf(Locale.ROOT, "node: %,d keys, %d routes compiled%n", keep.keys().size(),
          keep.routes().routeNames().size());
      report("node apply (gunzip + sha-256 + parse + validate + compile)", apply);
      Arrays.sort(heap);
      System.out.printf(Locale.ROOT, "node heap held by the compiled config: median %.1f MiB (min %.1f, max %.1f)%n",
          heap[RUNS / 2] / 1048576.0, heap[0] / 1048576.0, heap[RUNS - 1] / 1048576.0);
    } finally {
      cp.close();
    }
    System.exit(0);
  }

  private static void settle(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      memory.gc();
      Thread.sleep(50);
    }
  }

  private static void report(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf(Locale.ROOT, "%s: median %d ms (min %d, max %d, %d runs)%n", what, sorted[sorted.length / 2]
        / 1_000_000, sorted[0] / 1_000_000, sorted[sorted.length - 1] / 1_000_000, sorted.length);
  }

  /** Batch inserts straight into the tables the admin API writes, shaped like a large real installation. */
  private static void seed(JdbcTemplate jdbc, SecretCipher cipher, int keyCount, int teamCount, int routeCount,
      int providerCount) {
    UUID org = Organization.DEFAULT_ID;
    Timestamp now = Timestamp.from(Instant.now());
    ThreadLocalRandom rnd = ThreadLocalRandom.current();

    List<UUID> teamIds = new ArrayList<>();
    List<Object[]> teamRows = new ArrayList<>();
    List<Object[]> teamBudgets = new ArrayList<>();
    List<Object[]> teamLimits = new ArrayList<>();
    for (int i = 0; i < teamCount; i++) {
      UUID id = UUID.randomUUID();
      teamIds.add(id);
      teamRows.add(new Object[] {id, org, "team-" + i, i % 4 == 0 ? "{\"mode\":\"exact\",\"ttl_seconds\":3600}" : null,
          now, now});
      teamBudgets.add(new Object[] {"team", id, BigDecimal.valueOf(100 + i), "monthly"});
      teamLimits.add(new Object[] {"team", id, 600, 200_000, 50});
    }
    jdbc.batchUpdate("INSERT INTO teams (id, org_id, name, cache, created_at, updated_at) "
        + "VALUES (?, ?, ?, ?::jsonb, ?, ?)", teamRows);
    jdbc.batchUpdate("INSERT INTO budgets (scope_type, scope_id, limit_usd, period) VALUES (?, ?, ?, ?)", teamBudgets);
    jdbc.batchUpdate("INSERT INTO rate_limits (scope_type, scope_id, rpm, tpm, max_concurrent) VALUES (?, ?, ?, ?, ?)",
        teamLimits);

    List<String> providerNames = new ArrayList<>();
    for (int i = 0; i < providerCount; i++) {
      UUID id = UUID.randomUUID();
      String name = "provider-" + i;
      providerNames.add(name);
      String type = i % 2 == 0 ? "openai" : "anthropic";
      jdbc.update("INSERT INTO providers (id, org_id, name, type, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
          id, org, name, type, now, now);
      for (int k = 0; k < 3; k++) {
        String keyName = "key-" + k;
        String value = "sk-bench-" + random(40);
        jdbc.update("INSERT INTO provider_keys (id, provider_id, name, weight, value_sealed, value_last4) "
                + "VALUES (?, ?, ?, ?, ?, ?)", UUID.randomUUID(), id, keyName, 1 + k,
            cipher.sealAtRest(value, Provider.sealContext(id, keyName)), value.substring(value.length() - 4));
      }
    }

    List<String> routeModels = new ArrayList<>();
    List<Object[]> routeRows = new ArrayList<>();
    List<Object[]> targetRows = new ArrayList<>();
    List<UUID> providerIds = jdbc.queryForList("SELECT id FROM providers ORDER BY name", UUID.class);
    for (int i = 0; i < routeCount; i++) {
      UUID id = UUID.randomUUID();
      String model = "route-" + i;
      routeModels.add(model);
      routeRows.add(new Object[] {id, org, model, 2, 100, now, now});
      targetRows.add(new Object[] {id, "target", 0, providerIds.get(i % providerCount), "gpt-4o-mini", 3});
      targetRows.add(new Object[] {id, "target", 1, providerIds.get((i + 1) % providerCount), "gpt-4o", 1});
      targetRows.add(new Object[] {id, "fallback", 0, providerIds.get((i + 2) % providerCount), "claude", 0});
    }
    jdbc.batchUpdate("INSERT INTO routes (id, org_id, model, retry_max_attempts, retry_initial_backoff_ms, "
        + "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", routeRows);
    jdbc.batchUpdate("INSERT INTO route_targets (route_id, kind, position, provider_id, model, weight) "
        + "VALUES (?, ?, ?, ?, ?, ?)", targetRows);

    int batch = 5_000;
    for (int start = 0; start < keyCount; start += batch) {
      List<Object[]> keyRows = new ArrayList<>(batch);
      List<Object[]> keyBudgets = new ArrayList<>();
      List<Object[]> keyLimits = new ArrayList<>();
      for (int i = start; i < Math.min(keyCount, start + batch); i++) {
        UUID id = UUID.randomUUID();
        String secret = "sk-sw-" + random(43);
        String[] models = i % 3 == 0 ? new String[] {routeModels.get(rnd.nextInt(routeCount)),
            routeModels.get(rnd.nextInt(routeCount))} : new String[0];
        keyRows.add(new Object[] {id, org, teamIds.get(i % teamCount), "key-" + i, Sha256.hex(secret),
            secret.substring(0, 12), models, i % 10 == 0 ? "{\"mode\":\"semantic\",\"threshold\":0.95}" : null,
            i % 5 == 0 ? Timestamp.from(Instant.now().plusSeconds(86_400L * 365)) : null, now, now});
        if (i % 5 == 0) {
          keyBudgets.add(new Object[] {"key", id, BigDecimal.valueOf(25), "daily"});
        }
        if (i % 5 == 1) {
          keyLimits.add(new Object[] {"key", id, 60, 10_000, null});
        }
      }
      jdbc.batchUpdate("INSERT INTO virtual_keys (id, org_id, team_id, name, key_hash, key_prefix, models, cache, "
          + "expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?)", keyRows);
      jdbc.batchUpdate("INSERT INTO budgets (scope_type, scope_id, limit_usd, period) VALUES (?, ?, ?, ?)",
          keyBudgets);
      jdbc.batchUpdate("INSERT INTO rate_limits (scope_type, scope_id, rpm, tpm, max_concurrent) "
          + "VALUES (?, ?, ?, ?, ?)", keyLimits);
    }
    jdbc.update("UPDATE config_version SET version = version + 1, changed_at = now()");
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }

  private static String random(int chars) {
    String alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    StringBuilder sb = new StringBuilder(chars);
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    for (int i = 0; i < chars; i++) {
      sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
    }
    return sb.toString();
  }
}
