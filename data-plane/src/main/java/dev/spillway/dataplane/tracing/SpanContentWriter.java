package dev.spillway.dataplane.tracing;

import dev.spillway.dataplane.requestlog.Redactor;
import dev.spillway.dataplane.requestlog.Redactors;
import io.opentelemetry.api.trace.Span;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

/**
 * Puts a request's content on its serving attempt's span and ends the span, on a thread of its own: reading the
 * answer back, redacting and serialising cost too much for an event loop. The span ends at the time it was due, so
 * its timing is unchanged by the wait. Bounded: when the queue is full the span ends at once without content.
 *
 * <p>Each text (a message, a tool call's arguments, a tool's result) is cut at the cap first, at a word's edge, then
 * redacted under the {@code redacted} policy exactly as request logs are; an attribute still over the cap loses its
 * oldest messages, and one that cannot be made to fit, or whose redaction ran out of time, is left out.
 */
final class SpanContentWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpanContentWriter.class);

  private final int maxBytes;
  private final ThreadPoolExecutor worker;
  private final Redactors redactors = new Redactors();

  /**
   * @param maxBytes what each content attribute may hold, as UTF-8
   * @param queue    spans waiting for their content, at most
   */
  SpanContentWriter(int maxBytes, int queue) {
    this.maxBytes = maxBytes;
    this.worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue), runnable -> {
      Thread thread = new Thread(runnable, "span-content");
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Sets {@code content} on {@code span} and ends it at {@code endEpochNanos}, later and on another thread. */
  void endWithContent(Span span, long endEpochNanos, SpanContent content) {
    try {
      worker.execute(() -> {
        try {
          write(span, content);
        } catch (RuntimeException e) {
          log.debug("content left off a span: {}", e.toString());
        } finally {
          span.end(endEpochNanos, TimeUnit.NANOSECONDS);
        }
      });
    } catch (RejectedExecutionException e) {
      span.setAttribute(GenAiAttributes.CONTENT_DROPPED, true);
      span.end(endEpochNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void write(Span span, SpanContent content) {
    Redactor redactor = redactors.forPolicy(content.policy());
    // Room for the JSON around one long text, so that a single message over the cap still fits once cut.
    int textCap = Math.max(256, maxBytes - 512);
    UnaryOperator<String> text = value -> {
      String kept = value.length() > textCap ? value.substring(0, Redactor.wordEdge(value, textCap)) : value;
      return redactor == null ? kept : redactor.redact(kept);
    };
    ArrayNode system;
    ArrayNode input;
    ArrayNode output;
    try {
      system = GenAiMessages.systemInstructions(content.request(), text);
      input = GenAiMessages.input(content.request(), text);
      JsonNode answer = content.answer().get();
      output = answer == null ? null : GenAiMessages.output(answer, text);
    } catch (Redactor.TooSlow e) {
      // The admin's patterns did not finish: nothing unredacted may leave, so nothing does.
      span.setAttribute(GenAiAttributes.CONTENT_DROPPED, true);
      return;
    }
    set(span, GenAiAttributes.SYSTEM_INSTRUCTIONS, system, false);
    set(span, GenAiAttributes.INPUT_MESSAGES, input, true);
    set(span, GenAiAttributes.OUTPUT_MESSAGES, output, false);
  }

  /** Sets {@code parts} as JSON when it fits the cap, after dropping the oldest messages when {@code trimFront}. */
  private void set(Span span, io.opentelemetry.api.common.AttributeKey<String> key, ArrayNode parts,
      boolean trimFront) {
    if (parts == null) {
      return;
    }
    String json = parts.toString();
    while (json.getBytes(StandardCharsets.UTF_8).length > maxBytes && trimFront && parts.size() > 1) {
      parts.remove(0); // the latest turns say most about the answer
      json = parts.toString();
    }
    if (json.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      span.setAttribute(GenAiAttributes.CONTENT_DROPPED, true);
      return;
    }
    span.setAttribute(key, json);
  }

  /** Lets queued spans get their content and end (for a moment at most), so that the exporter still sees them. */
  @Override
  public void close() {
    worker.shutdown();
    try {
      if (!worker.awaitTermination(2, TimeUnit.SECONDS)) {
        worker.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      worker.shutdownNow();
    }
  }
}
