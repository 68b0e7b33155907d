package dev.spillway.dataplane.usage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's usage spool: every usage event is appended here before its request's response completes, and stays
 * until the control plane has stored it. Events reach the disk with one {@code write} into the page cache, so a
 * node that is killed (SIGKILL) loses none it has answered for; the shipper fsyncs each segment once it is sealed,
 * off the event loops, so a machine crash loses at most the last fraction of a second.
 *
 * <p>Layout under {@code <state dir>/usage-spool/}: {@code open.ndjson} takes appends; {@link #seal()} renames it to
 * {@code seg-<millis>-<n>.ndjson}, which the shipper sends and then deletes; a segment the control plane refuses
 * as malformed moves to {@code rejected/}, kept for an operator. The spool is bounded: past {@code maxBytes} an
 * event is dropped, counted and logged, rather than filling the disk.
 *
 * <p>Appends come from the event loops (and the token estimator thread), sealing from the shipper: one lock
 * guards the open segment. It is held for one small {@code write}; a seal holds it for a close and a rename.
 */
public final class UsageJournal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UsageJournal.class);
  static final String OPEN = "open.ndjson";
  private static final long DROP_LOG_INTERVAL_NANOS = 60_000_000_000L;

  private final Path dir;
  private final Path rejectedDir;
  private final long maxBytes;
  private final int maxLinesPerSegment;
  private final ReentrantLock lock = new ReentrantLock();
  private final FileChannel lockFile;
  private final FileLock processLock;
  private final AtomicLong spooledBytes = new AtomicLong();
  private final LongAdder appended = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private FileChannel open;
  private int openLines;
  private long sealCounter;
  private long lastDropLogNanos = System.nanoTime() - DROP_LOG_INTERVAL_NANOS;
  private boolean closed;

  /**
   * Opens (or creates) the spool in {@code stateDir}. A segment left open by a previous process is sealed at once:
   * whatever it holds is shipped like any other segment, and the control plane discards what it already has.
   */
  public UsageJournal(Path stateDir, long maxBytes, int maxLinesPerSegment) {
    this.dir = stateDir.resolve("usage-spool");
    this.rejectedDir = dir.resolve("rejected");
    this.maxBytes = maxBytes;
    this.maxLinesPerSegment = maxLinesPerSegment;
    try {
      Files.createDirectories(rejectedDir);
      lockFile = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock acquired;
      try {
        acquired = lockFile.tryLock();
      } catch (OverlappingFileLockException e) {
        acquired = null;
      }
      if (acquired == null) {
        lockFile.close();
        throw new IllegalStateException("another node is using the usage spool in " + dir
            + "; give each node its own SPILLWAY_NODE_STATE_DIR");
      }
      processLock = acquired;
      Path leftover = dir.resolve(OPEN);
      if (Files.exists(leftover)) {
        if (Files.size(leftover) > 0) {
          Files.move(leftover, dir.resolve(nextSegmentName()), StandardCopyOption.ATOMIC_MOVE);
          log.info("usage spool: sealed the segment a previous run left open; it will be shipped");
        } else {
          Files.delete(leftover);
        }
      }
      long bytes = 0;
      for (Path segment : sealedSegments()) {
        bytes += Files.size(segment);
      }
      spooledBytes.set(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the usage spool in " + dir, e);
    }
  }

  /**
   * Appends one event line. Returns false, counting a drop, when the spool is full or the disk refuses the write;
   * the request itself is never failed for it.
   */
  public boolean append(byte[] line) {
    lock.lock();
    try {
      if (closed) {
        return drop("the node is shutting down");
      }
      if (spooledBytes.get() + line.length > maxBytes) {
        return drop("the spool is full (" + maxBytes + " bytes; is the control plane reachable?)");
      }
      if (open == null) {
        open = FileChannel.open(dir.resolve(OPEN), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND);
      }
      ByteBuffer buffer = ByteBuffer.wrap(line);
      while (buffer.hasRemaining()) {
        open.write(buffer);
      }
      spooledBytes.addAndGet(line.length);
      appended.increment();
      if (++openLines >= maxLinesPerSegment) {
        sealLocked();
      }
      return true;
    } catch (IOException e) {
      return drop("the disk refused the write: " + e.getMessage());
    } finally {
      lock.unlock();
    }
  }

  private boolean drop(String why) {
    dropped.increment();
    long now = System.nanoTime();
    if (now - lastDropLogNanos >= DROP_LOG_INTERVAL_NANOS) {
      lastDropLogNanos = now;
      log.warn("usage spool: dropping usage events because {}; {} dropped since start "
          + "(metric spillway_usage_events_dropped_total)", why, dropped.sum());
    }
    return false;
  }

  /** Closes the open segment so it can be shipped; returns whether there was one. */
  public boolean seal() {
    lock.lock();
    try {
      return sealLocked();
    } catch (IOException e) {
      log.warn("usage spool: cannot seal the open segment: {}", e.toString());
      return false;
    } finally {
      lock.unlock();
    }
  }

  private boolean sealLocked() throws IOException {
    if (open == null) {
      return false;
    }
    FileChannel channel = open;
    open = null;
    openLines = 0;
    channel.close();
    Files.move(dir.resolve(OPEN), dir.resolve(nextSegmentName()), StandardCopyOption.ATOMIC_MOVE);
    return true;
  }

  /** Segment names sort in the order they were sealed, also across restarts (the clock's millis first). */
  private String nextSegmentName() {
    return String.format("seg-%013d-%06d.ndjson", System.currentTimeMillis(), sealCounter++ % 1_000_000);
  }

  /** Sealed segments, oldest first. */
  public List<Path> sealedSegments() throws IOException {
    List<Path> segments = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "seg-*.ndjson")) {
      stream.forEach(segments::add);
    }
    segments.sort(null);
    return segments;
  }

  /** The control plane stored {@code segment}: forget it. */
  public void shipped(Path segment) throws IOException {
    long size = Files.size(segment);
    Files.delete(segment);
    spooledBytes.addAndGet(-size);
  }

  /** The control plane refused {@code segment} as malformed: set it aside for an operator, out of the spool. */
  public void reject(Path segment) throws IOException {
    long size = Files.size(segment);
    Files.move(segment, rejectedDir.resolve(segment.getFileName()), StandardCopyOption.ATOMIC_MOVE);
    spooledBytes.addAndGet(-size);
  }

  public Path directory() {
    return dir;
  }

  /** Bytes waiting in the spool (open and sealed segments). */
  public long spooledBytes() {
    return spooledBytes.get();
  }

  public long appended() {
    return appended.sum();
  }

  public long dropped() {
    return dropped.sum();
  }

  /** Seals what is open and refuses further appends; sealed segments stay for the next start to ship. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      sealLocked();
    } catch (IOException e) {
      log.warn("usage spool: cannot seal the open segment at shutdown: {}", e.toString());
    } finally {
      lock.unlock();
    }
    try {
      processLock.release();
      lockFile.close();
    } catch (IOException e) {
      log.debug("usage spool: releasing the lock: {}", e.toString());
    }
  }
}
