package dev.spillway.dataplane.usage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships the usage spool to the control plane ({@code POST /internal/v1/usage}, gzip'd NDJSON) on its own daemon
 * thread: every {@code interval} it seals the open segment, fsyncs it, and sends the sealed segments oldest first.
 * A 200 deletes a segment; a 400 (malformed) sets it aside; anything else (control plane or PostgreSQL down, a
 * timeout) leaves it in place and retries with exponential backoff and jitter, up to a minute apart. The control
 * plane stores each event once, so a segment sent twice (the answer was lost) counts once.
 */
public final class UsageShipper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UsageShipper.class);
  private static final long MAX_BACKOFF_MS = 60_000;

  private final UsageJournal journal;
  private final URI endpoint;
  private final String nodeToken;
  private final Duration interval;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .version(HttpClient.Version.HTTP_1_1).build();
  private final LongAdder shippedEvents = new LongAdder();
  private final LongAdder rejectedSegments = new LongAdder();
  private final Thread thread;
  private volatile boolean running = true;
  private long backoffMs;
  private boolean outageLogged;

  public UsageShipper(UsageJournal journal, URI controlPlane, String nodeToken, Duration interval) {
    this.journal = journal;
    this.endpoint = controlPlane.resolve("/internal/v1/usage");
    this.nodeToken = nodeToken;
    this.interval = interval;
    this.thread = new Thread(this::run, "usage-shipper");
    thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private void run() {
    while (running) {
      long pause = interval.toMillis();
      try {
        if (!shipAll()) {
          backoffMs = backoffMs == 0 ? 500 : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
          pause = ThreadLocalRandom.current().nextLong(backoffMs / 2, backoffMs + 1);
        } else {
          backoffMs = 0;
        }
      } catch (RuntimeException e) {
        log.warn("usage shipper: unexpected failure, retrying", e);
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Seals and sends everything spooled; false when the control plane could not take it (retry later). */
  boolean shipAll() {
    journal.seal();
    try {
      for (Path segment : journal.sealedSegments()) {
        if (!running && Thread.currentThread() == thread) {
          return true;
        }
        if (!ship(segment)) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      log.warn("usage shipper: cannot read the spool: {}", e.toString());
      return false;
    }
  }

  private boolean ship(Path segment) throws IOException {
    try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
      channel.force(false); // durable before it counts as spooled across a machine crash, too
    }
    byte[] bytes = completeLines(Files.readAllBytes(segment));
    if (bytes.length == 0) {
      journal.shipped(segment);
      return true;
    }
    HttpRequest request = HttpRequest.newBuilder(endpoint)
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + nodeToken)
        .header("Content-Type", "application/x-ndjson")
        .header("Content-Encoding", "gzip")
        .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(bytes)))
        .build();
    HttpResponse<String> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      outage("the control plane is unreachable (" + e.getClass().getSimpleName() + ")");
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    int status = response.statusCode();
    if (status == 200) {
      journal.shipped(segment);
      shippedEvents.add(lines(bytes));
      if (outageLogged) {
        outageLogged = false;
        log.info("usage shipper: the control plane takes usage again; the spool is being replayed");
      }
      return true;
    }
    if (status == 400 || status == 413) {
      journal.reject(segment);
      rejectedSegments.increment();
      log.error("usage shipper: the control plane refused {} (HTTP {}): {}; moved it to {}", segment.getFileName(),
          status, abbreviate(response.body()), journal.directory().resolve("rejected"));
      return true;
    }
    outage("the control plane answered HTTP " + status);
    return false;
  }

  private void outage(String why) {
    if (!outageLogged) {
      outageLogged = true;
      log.warn("usage shipper: {}; usage stays in the spool ({} bytes) and is sent when it is back", why,
          journal.spooledBytes());
    }
  }

  /** A machine crash can leave a torn last line: only whole lines are sent, the rest was never acknowledged. */
  static byte[] completeLines(byte[] bytes) {
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--;
    }
    return end == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, end);
  }

  private static long lines(byte[] bytes) {
    long n = 0;
    for (byte b : bytes) {
      if (b == '\n') {
        n++;
      }
    }
    return n;
  }

  /**
   * The fastest level: usage events are repetitive JSON that compresses several times over even so, and the
   * shipper shares the node's cores with its event loops (the default level cost a node several microseconds of CPU
   * per request).
   */
  private static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 4 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024) {
      {
        def.setLevel(java.util.zip.Deflater.BEST_SPEED);
      }
    }) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  private static String abbreviate(String text) {
    return text == null ? "" : text.length() > 500 ? text.substring(0, 500) + "…" : text;
  }

  public long shippedEvents() {
    return shippedEvents.sum();
  }

  public long rejectedSegments() {
    return rejectedSegments.sum();
  }

  /**
   * Stops the thread and makes one last attempt to send what is spooled (bounded by the request timeout); what
   * cannot be sent stays on disk for the next start.
   */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    shipAll();
  }
}
