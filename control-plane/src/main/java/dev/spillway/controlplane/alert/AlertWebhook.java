package dev.spillway.controlplane.alert;

import dev.spillway.controlplane.SpillwayProperties;
import jakarta.annotation.PreDestroy;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * POSTs fired alerts to {@code SPILLWAY_ALERT_WEBHOOK_URL}, at least once each, off every request thread.
 *
 * <p>Deliveries are driven by the {@code budget_alerts} rows, not by memory: one thread of this replica takes the
 * rows that are due ({@link BudgetAlertRepository#claimDue}, which leases them so that other replicas skip them),
 * starts their POSTs without waiting for them, and each answer updates its row: delivered on a 2xx, otherwise
 * pending again after a backoff that doubles from {@code retryInitialBackoff} up to {@code retryMaxBackoff}, and
 * failed after {@code maxAttempts}. A replica that dies mid-POST leaves the row leased; the lease runs out and the
 * row is sent again, so a receiver may see an alert twice and should deduplicate by its {@code id}.
 *
 * <p>The URL is never logged (webhook URLs often carry a token), nor is the secret; errors recorded on the row are an
 * HTTP status or the kind of connection failure.
 */
@Component
public class AlertWebhook {
  private static final Logger log = LoggerFactory.getLogger(AlertWebhook.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** Rows taken per round; more wait for the next round. */
  private static final int BATCH = 100;
  /** Beyond the POST's own timeout, how long a claimed row stays leased before another round may take it again. */
  private static final Duration LEASE_MARGIN = Duration.ofSeconds(30);
  private static final int MAX_ERROR_LENGTH = 300;

  private final BudgetAlertRepository alerts;
  private final SpillwayProperties.Alerts settings;
  private final long pollIntervalMs;
  private final HttpClient http;
  private final ScheduledExecutorService loop;

  public AlertWebhook(BudgetAlertRepository alerts, SpillwayProperties props,
      @Value("${spillway.alerts.delivery-poll-interval-ms:1000}") long pollIntervalMs) {
    this.alerts = alerts;
    this.settings = props.alerts();
    this.pollIntervalMs = Math.max(10, pollIntervalMs);
    if (settings.webhookUrl() == null) {
      this.http = null;
      this.loop = null;
      return;
    }
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(settings.webhookTimeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "budget-alert-webhook");
      t.setDaemon(true);
      return t;
    });
  }

  /** Whether alerts are sent anywhere; without a URL they are logged and stored only. */
  public boolean enabled() {
    return loop != null;
  }

  @EventListener(ApplicationReadyEvent.class)
  void start() {
    if (enabled()) {
      loop.scheduleWithFixedDelay(this::deliverDue, pollIntervalMs, pollIntervalMs, TimeUnit.MILLISECONDS);
    }
  }

  @PreDestroy
  void stop() {
    if (enabled()) {
      loop.shutdownNow();
    }
  }

  /** Sends what is due now rather than at the next round (an alert has just fired). */
  public void kick() {
    if (enabled() && !loop.isShutdown()) {
      loop.execute(this::deliverDue);
    }
  }

  private void deliverDue() {
    try {
      Instant now = Instant.now();
      List<BudgetAlert> due = alerts.claimDue(now, now.plus(settings.webhookTimeout()).plus(LEASE_MARGIN), BATCH);
      due.forEach(this::send);
    } catch (RuntimeException e) {
      // The database may be away; the rows stay due and the next round takes them.
      log.warn("budget alert webhook: could not read due deliveries: {}", e.toString());
    }
  }

  private void send(BudgetAlert alert) {
    byte[] body = body(alert);
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(settings.webhookUrl()))
        .timeout(settings.webhookTimeout())
        .header("Content-Type", "application/json")
        .header("User-Agent", "spillway-control-plane")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (settings.webhookSecret() != null) {
      request.header("x-spillway-signature", signature(settings.webhookSecret(), body));
    }
    int attempt = alert.deliveryAttempts();
    // The request timeout covers the answer's head; the extra bound covers a body that never ends.
    http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
        .orTimeout(settings.webhookTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS)
        .whenComplete((response, failure) -> {
          try {
            if (failure == null && response.statusCode() / 100 == 2) {
              alerts.delivered(alert.id(), attempt, Instant.now());
              log.debug("budget alert {} delivered to the webhook (attempt {})", alert.id(), attempt);
            } else {
              failed(alert, attempt, failure == null ? "HTTP " + response.statusCode() : describe(failure));
            }
          } catch (RuntimeException e) {
            // The row stays leased and is sent again when the lease runs out.
            log.warn("budget alert {}: could not record the webhook's answer: {}", alert.id(), e.toString());
          }
        });
  }

  private void failed(BudgetAlert alert, int attempt, String error) {
    if (attempt >= settings.maxAttempts()) {
      alerts.attemptFailed(alert.id(), attempt, error, null);
      log.warn("budget alert {} ({}) not delivered to the webhook after {} attempts, giving up: {}", alert.id(),
          alert.message(), attempt, error);
      return;
    }
    Duration wait = backoff(attempt, settings.retryInitialBackoff(), settings.retryMaxBackoff());
    alerts.attemptFailed(alert.id(), attempt, error, Instant.now().plus(wait));
    log.info("budget alert {}: webhook attempt {} of {} failed ({}), next in {} s", alert.id(), attempt,
        settings.maxAttempts(), error, wait.toMillis() / 1000.0);
  }

  /** The wait after {@code failedAttempts} failures: initial, doubled per further failure, at most {@code max}. */
  static Duration backoff(int failedAttempts, Duration initial, Duration max) {
    int doublings = Math.min(Math.max(failedAttempts - 1, 0), 40);
    Duration wait = initial;
    for (int i = 0; i < doublings && wait.compareTo(max) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(max) > 0 ? max : wait;
  }

  /** What went wrong, in words that never contain the URL (which may carry a token). */
  private String describe(Throwable failure) {
    Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (t instanceof HttpTimeoutException || t instanceof TimeoutException) {
      return "timed out after " + settings.webhookTimeout().toMillis() / 1000.0 + " s";
    }
    if (t instanceof ConnectException) {
      return "could not connect";
    }
    String text = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    text = text.replace(settings.webhookUrl(), "<webhook>");
    String host = URI.create(settings.webhookUrl()).getRawAuthority();
    if (host != null && host.contains("@")) {
      text = text.replace(host, "<webhook>");
    }
    return text.length() > MAX_ERROR_LENGTH ? text.substring(0, MAX_ERROR_LENGTH) + "…" : text;
  }

  /** The JSON body of an alert's POST: the same bytes on every attempt. */
  static byte[] body(BudgetAlert a) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "budget.threshold");
    body.put("id", a.id().toString());
    body.put("threshold_percent", a.thresholdPercent());
    body.put("scope_type", a.scopeType().dbName());
    body.put("scope_id", a.scopeId().toString());
    body.put("scope_name", a.scopeName());
    body.put("team_id", a.teamId() == null ? null : a.teamId().toString());
    body.put("period", a.period().wireName());
    body.put("period_start", a.periodStart().toString());
    body.put("limit_usd", BudgetAlert.exact(a.limitUsd()).toPlainString());
    body.put("spent_usd", BudgetAlert.exact(a.spentUsd()).toPlainString());
    body.put("enforce", a.enforce());
    body.put("fired_at", a.firedAt().toString());
    body.put("message", "budget alert: " + a.message());
    return JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
  }

  /** {@code sha256=<hex>} of the body's HMAC-SHA256 under the secret. */
  static String signature(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
