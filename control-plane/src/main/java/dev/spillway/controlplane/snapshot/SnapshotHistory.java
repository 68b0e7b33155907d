package dev.spillway.controlplane.snapshot;

import dev.spillway.config.EncodedSnapshot;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The stored snapshots (the last {@code spillway.snapshot-history} versions), newest first. */
@Component
public class SnapshotHistory {
  /** A stored snapshot without its payload. */
  public record Entry(long version, String kind, String sha256, int rawSizeBytes, int gzippedSizeBytes, int buildMs,
      Long restoredFrom, Instant createdAt) {}

  private static final String COLUMNS = "version, kind, sha256, raw_size_bytes, octet_length(payload_gzip), build_ms, "
      + "restored_from, created_at";

  private final JdbcClient jdbc;

  public SnapshotHistory(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** Up to {@code limit} entries older than {@code beforeVersion} (null: from the newest). */
  public List<Entry> list(int limit, Long beforeVersion) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM config_snapshots WHERE version < ? ORDER BY version DESC LIMIT ?")
        .params(beforeVersion == null ? Long.MAX_VALUE : beforeVersion, limit)
        .query((rs, i) -> new Entry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getInt(5),
            rs.getInt(6), (Long) rs.getObject(7), rs.getTimestamp(8).toInstant()))
        .list();
  }

  public Optional<Entry> find(long version) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM config_snapshots WHERE version = ?").param(version)
        .query((rs, i) -> new Entry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getInt(5),
            rs.getInt(6), (Long) rs.getObject(7), rs.getTimestamp(8).toInstant()))
        .optional();
  }

  public Optional<EncodedSnapshot> load(long version) {
    return jdbc.sql("SELECT version, sha256, payload_gzip, raw_size_bytes FROM config_snapshots WHERE version = ?")
        .param(version)
        .query((rs, i) -> new EncodedSnapshot(rs.getLong(1), rs.getString(2), rs.getBytes(3), rs.getInt(4)))
        .optional();
  }
}
