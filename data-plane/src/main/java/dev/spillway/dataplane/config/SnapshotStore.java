package dev.spillway.dataplane.config;

import dev.spillway.config.EncodedSnapshot;
import dev.spillway.config.InvalidSnapshotException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;

/**
 * The last good snapshot on disk, so a node restarted while the control plane is down can still serve.
 *
 * <p>One file, {@code snapshot.bin}: a header line {@code SPILLWAY-SNAPSHOT 1 <version> <sha256>} and the gzipped
 * canonical JSON. Written to a temp file, fsynced, atomically renamed over the old one, and the directory fsynced:
 * a crash leaves either the old or the new file, never half of one. The hash in the header is checked on load,
 * so a corrupted file is refused instead of served. {@code snapshot.sha256} beside it is for humans.
 */
public final class SnapshotStore {
  private static final String MAGIC = "SPILLWAY-SNAPSHOT 1 ";
  private static final int MAX_HEADER = 200;

  private final Path dir;
  private final Path file;

  public SnapshotStore(Path dir) {
    this.dir = dir;
    this.file = dir.resolve("snapshot.bin");
  }

  public Path file() {
    return file;
  }

  public void save(EncodedSnapshot snapshot) {
    try {
      Files.createDirectories(dir);
      byte[] header = (MAGIC + snapshot.version() + " " + snapshot.sha256() + "\n").getBytes(StandardCharsets.US_ASCII);
      Path tmp = Files.createTempFile(dir, "snapshot", ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        writeFully(ch, ByteBuffer.wrap(header));
        writeFully(ch, ByteBuffer.wrap(snapshot.gzipped()));
        ch.force(true);
      }
      move(tmp, file);
      Path hashTmp = Files.createTempFile(dir, "snapshot", ".tmp");
      Files.writeString(hashTmp, snapshot.sha256() + "  version " + snapshot.version() + "\n");
      move(hashTmp, dir.resolve("snapshot.sha256"));
      fsyncDirectory();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write snapshot to " + file, e);
    }
  }

  /** The stored snapshot, empty when there is none; throws {@link InvalidSnapshotException} when it is damaged. */
  public Optional<EncodedSnapshot> load() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new InvalidSnapshotException("cannot read " + file + ": " + e.getMessage(), e);
    }
    int newline = -1;
    for (int i = 0; i < Math.min(bytes.length, MAX_HEADER); i++) {
      if (bytes[i] == '\n') {
        newline = i;
        break;
      }
    }
    if (newline < 0) {
      throw new InvalidSnapshotException(file + " has no snapshot header");
    }
    String header = new String(bytes, 0, newline, StandardCharsets.US_ASCII);
    if (!header.startsWith(MAGIC)) {
      throw new InvalidSnapshotException(file + " is not a Spillway snapshot");
    }
    String[] parts = header.substring(MAGIC.length()).split(" ");
    if (parts.length != 2) {
      throw new InvalidSnapshotException(file + " has a malformed header");
    }
    long version;
    try {
      version = Long.parseLong(parts[0]);
    } catch (NumberFormatException e) {
      throw new InvalidSnapshotException(file + " has a malformed version");
    }
    byte[] gzipped = Arrays.copyOfRange(bytes, newline + 1, bytes.length);
    return Optional.of(new EncodedSnapshot(version, parts[1], gzipped, -1));
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private void fsyncDirectory() {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems cannot open a directory; the rename is still atomic there.
    }
  }
}
