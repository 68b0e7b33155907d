package dev.spillway.dataplane.requestlog;

import dev.spillway.config.ContentPolicy;
import dev.spillway.config.LoggingConfig;
import dev.spillway.dataplane.usage.RequestLog;
import dev.spillway.dataplane.usage.UsageEvent;
import dev.spillway.dataplane.usage.UsageJournal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Journals a request's usage event with the content its key's policy keeps: under {@code redacted} and {@code full}
 * the request body and the answer, redacted (under {@code redacted}), cut at the node's size cap, gzipped. That work
 * (parsing a captured answer, regular expressions, compression) runs on a thread of its own behind a bounded queue,
 * never on an event loop; when the queue is full the event is journalled at once without its bodies, so that usage is
 * never lost or late because of logging. Under {@code none} the event is journalled on the caller's thread.
 */
public final class ContentRecorder {
  private static final Logger log = LoggerFactory.getLogger(ContentRecorder.class);

  /** What a request's answer is for its log, computed off the event loop; null when there is none. */
  public interface AnswerSource extends Supplier<byte[]> {}

  private final UsageJournal journal;
  private final int maxBodyBytes;
  private final ExecutorService worker;
  private final Redactors redactors = new Redactors();
  private final LongAdder dropped = new LongAdder();

  /**
   * @param maxBodyBytes what is kept of each body (before compression); the rest is cut and the record says so
   * @param queue        requests waiting for their content to be processed, at most
   */
  public ContentRecorder(UsageJournal journal, int maxBodyBytes, int queue) {
    this.journal = journal;
    this.maxBodyBytes = maxBodyBytes;
    this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue), runnable -> {
      Thread thread = new Thread(runnable, "request-log-content");
      thread.setDaemon(true);
      return thread;
    });
  }

  /**
   * Journals {@code event}. With a policy that keeps content, {@code requestBody} (the client's bytes, never written
   * to) and {@code answer} are stored with it.
   */
  public void journal(UsageEvent event, LoggingConfig policy, byte[] requestBody, AnswerSource answer) {
    if (policy.content() == ContentPolicy.NONE || event.log() == null || (requestBody == null && answer == null)) {
      journal.append(event.toJsonLine());
      return;
    }
    try {
      worker.execute(new Pending(event, policy, requestBody, answer));
    } catch (RejectedExecutionException e) {
      dropped.increment();
      journal.append(event.toJsonLine());
    }
  }

  /** A request waiting for its content to be processed; its event is journalled whatever happens to it. */
  private final class Pending implements Runnable {
    final UsageEvent event;
    final LoggingConfig policy;
    final byte[] requestBody;
    final AnswerSource answer;

    Pending(UsageEvent event, LoggingConfig policy, byte[] requestBody, AnswerSource answer) {
      this.event = event;
      this.policy = policy;
      this.requestBody = requestBody;
      this.answer = answer;
    }

    @Override
    public void run() {
      journalWithContent(event, policy, requestBody, answer);
    }
  }

  private void journalWithContent(UsageEvent event, LoggingConfig policy, byte[] requestBody, AnswerSource answer) {
    UsageEvent stored = event;
    try {
      Redactor redactor = redactors.forPolicy(policy);
      Body request = requestBody == null ? Body.NONE : body(new String(requestBody, StandardCharsets.UTF_8), redactor);
      byte[] answerBytes = answer == null ? null : answer.get();
      Body response = answerBytes == null ? Body.NONE
          : body(new String(answerBytes, StandardCharsets.UTF_8), redactor);
      stored = event.withLog(event.log().withContent(request.base64, request.truncated, response.base64,
          response.truncated));
    } catch (RuntimeException e) {
      // The event without its bodies rather than no event.
      dropped.increment();
      log.warn("the content of request {} could not be stored: {}", event.requestId(), e.toString());
    }
    journal.append(stored.toJsonLine());
  }

  private record Body(String base64, boolean truncated) {
    static final Body NONE = new Body(null, false);
  }

  private Body body(String text, Redactor redactor) {
    boolean cut = false;
    if (text.length() > maxBodyBytes) {
      // Cut before redacting, so that a huge body costs the regular expressions no more than the cap; and at a
      // word's edge, so that no half of a secret (which the patterns would no longer know) is kept.
      text = text.substring(0, Redactor.wordEdge(text, maxBodyBytes));
      cut = true;
    }
    String kept = redactor == null ? text : redactor.redact(text);
    byte[] bytes = kept.getBytes(StandardCharsets.UTF_8);
    boolean truncated = cut || bytes.length > maxBodyBytes;
    // Redaction may lengthen a cut text past the cap again (a replacement longer than what it replaced).
    int length = bytes.length > maxBodyBytes ? utf8Boundary(bytes, maxBodyBytes) : bytes.length;
    return new Body(Base64.getEncoder().encodeToString(gzip(bytes, length)), truncated);
  }

  /** The largest length up to {@code max} that does not split a UTF-8 sequence. */
  private static int utf8Boundary(byte[] bytes, int max) {
    int end = max;
    while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
      end--;
    }
    return end;
  }

  private static byte[] gzip(byte[] bytes, int length) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, length / 3));
    try (GZIPOutputStream gzip = new GZIPOutputStream(out, 8192)) {
      gzip.write(bytes, 0, length);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  /** What is still queued goes to the journal without its bodies: usage must not be lost to a slow shutdown. */
  private void journalUnprocessed() {
    for (Runnable task : worker.shutdownNow()) {
      if (task instanceof Pending pending) {
        dropped.increment();
        journal.append(pending.event.toJsonLine());
      }
    }
  }

  /** Requests whose content was not stored because the queue was full or processing failed. */
  public long dropped() {
    return dropped.sum();
  }

  /** Finishes what is queued (their events must reach the journal), for an orderly shutdown. */
  public void close() {
    worker.shutdown();
    try {
      if (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
        journalUnprocessed();
      }
    } catch (InterruptedException e) {
      journalUnprocessed();
      Thread.currentThread().interrupt();
    }
  }
}
