package dev.spillway.e2e;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** A Logback appender that keeps every formatted line (with exceptions and MDC) for the secret checks. */
public final class CapturedLogs extends AppenderBase<ILoggingEvent> {
  private static final ConcurrentLinkedQueue<String> LINES = new ConcurrentLinkedQueue<>();

  @Override
  protected void append(ILoggingEvent event) {
    StringBuilder line = new StringBuilder()
        .append(event.getLevel()).append(' ').append(event.getLoggerName()).append(' ')
        .append(event.getFormattedMessage()).append(' ').append(event.getMDCPropertyMap());
    for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
      line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      for (StackTraceElementProxy frame : t.getStackTraceElementProxyArray()) {
        line.append(' ').append(frame.getSTEAsString());
      }
    }
    LINES.add(line.toString());
  }

  public static List<String> lines() {
    return List.copyOf(LINES);
  }
}
