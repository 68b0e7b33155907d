package dev.spillway.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamWriteFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The canonical encoding of a snapshot: snake_case JSON with properties and map keys sorted, nulls
 * omitted, decimals plain, no whitespace. The same {@link SnapshotConfig} always encodes to the same bytes,
 * so its SHA-256 identifies the content.
 */
public final class SnapshotCodec {
  /** Refuse to inflate more than this, so a corrupt or hostile payload cannot exhaust memory. */
  public static final int DEFAULT_MAX_RAW_BYTES = 512 * 1024 * 1024;

  private static final JsonMapper MAPPER = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
      .disable(MapperFeature.SORT_CREATOR_PROPERTIES_FIRST)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .disable(SerializationFeature.INDENT_OUTPUT)
      .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
      .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .changeDefaultPropertyInclusion(incl -> incl
          .withValueInclusion(JsonInclude.Include.NON_NULL)
          .withContentInclusion(JsonInclude.Include.NON_NULL))
      .build();

  private final int maxRawBytes;

  public SnapshotCodec() {
    this(DEFAULT_MAX_RAW_BYTES);
  }

  public SnapshotCodec(int maxRawBytes) {
    if (maxRawBytes <= 0) {
      throw new IllegalArgumentException("maxRawBytes: " + maxRawBytes + " (expected: > 0)");
    }
    this.maxRawBytes = maxRawBytes;
  }

  /** Canonical JSON bytes of {@code snapshot}. */
  public byte[] toCanonicalJson(SnapshotConfig snapshot) {
    return MAPPER.writeValueAsBytes(snapshot);
  }

  /** Canonical JSON, its hash and its gzipped form. */
  public EncodedSnapshot encode(SnapshotConfig snapshot) {
    byte[] raw = toCanonicalJson(snapshot);
    return new EncodedSnapshot(snapshot.version(), Sha256.hex(raw), gzip(raw), raw.length);
  }

  /**
   * Inflates, checks the hash, and parses. Throws {@link InvalidSnapshotException} for anything that is
   * not a well-formed snapshot with the expected hash; semantic checks are {@link SnapshotValidator}'s.
   */
  public SnapshotConfig decode(byte[] gzipped, String expectedSha256) {
    byte[] raw = gunzip(gzipped);
    String actual = Sha256.hex(raw);
    if (!actual.equals(expectedSha256)) {
      throw new InvalidSnapshotException(
          "snapshot hash mismatch: expected " + expectedSha256 + ", got " + actual);
    }
    return parse(raw);
  }

  /** Parses canonical JSON bytes. */
  public SnapshotConfig parse(byte[] raw) {
    try {
      SnapshotConfig snapshot = MAPPER.readValue(raw, SnapshotConfig.class);
      if (snapshot == null) {
        throw new InvalidSnapshotException("snapshot is empty");
      }
      return snapshot;
    } catch (JacksonException | IllegalArgumentException | NullPointerException e) {
      throw new InvalidSnapshotException("snapshot is not valid JSON for this schema: " + e.getMessage(), e);
    }
  }

  /** SHA-256 hex of the inflated bytes, for checking a stored copy without parsing it. */
  public String hashOfGzipped(byte[] gzipped) {
    return Sha256.hex(gunzip(gzipped));
  }

  private static byte[] gzip(byte[] raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, raw.length / 4));
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024)) {
      gz.write(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private byte[] gunzip(byte[] gzipped) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped), 64 * 1024)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, gzipped.length * 4));
      byte[] buffer = new byte[64 * 1024];
      int total = 0;
      for (int n; (n = in.read(buffer)) > 0; ) {
        total += n;
        if (total > maxRawBytes || total < 0) {
          throw new InvalidSnapshotException("snapshot inflates beyond " + maxRawBytes + " bytes");
        }
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new InvalidSnapshotException("snapshot is not valid gzip: " + e.getMessage(), e);
    }
  }
}
