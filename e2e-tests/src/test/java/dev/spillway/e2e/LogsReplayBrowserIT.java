package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.NoLeaksExtension;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The logs page in headless Chromium against a real stack: control plane, a data-plane node that the control plane
 * replays through ({@code SPILLWAY_DP_URL}), a fake provider behind two routes, and a logged request (content stored)
 * written into {@code request_logs}. An org admin filters the page, opens the request, sees its conversation, replays
 * it against the other route and sees both answers side by side; the provider got the replay as the other route's
 * model.
 *
 * <p>Skipped (with a message) only when Chromium is not installed and the run is not {@code ./spillway test}, which
 * installs it and sets {@code SPILLWAY_BROWSER_TESTS=required}.
 */
@ExtendWith(NoLeaksExtension.class)
class LogsReplayBrowserIT {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static final String ADMIN_EMAIL = "logs-admin@e2e.spillway.test";

  private static MockOAuth2Server idp;
  private static FakeProvider provider;
  private static Stack stack;
  private static SpillwayNode node;
  private static WebDriver driver;
  private static Path profile;

  @BeforeAll
  static void start() throws Exception {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!installed) {
      if ("required".equals(System.getenv("SPILLWAY_BROWSER_TESTS"))) {
        throw new IllegalStateException("browser tests are required but " + CHROMIUM + " or " + CHROMEDRIVER
            + " is missing (apt-get install chromium chromium-driver)");
      }
      Assumptions.abort("browser tests skipped: " + CHROMIUM + " and " + CHROMEDRIVER + " are not installed");
    }
    idp = new MockOAuth2Server();
    idp.start();
    provider = FakeProvider.start();
    // The control plane is told where the node will listen before the node exists (it follows the control plane).
    int nodePort;
    try (ServerSocket free = new ServerSocket(0)) {
      nodePort = free.getLocalPort();
    }
    stack = new Stack("e2e_logs_browser").startControlPlane(Map.of(
        "spillway.oidc.issuer-uri", idp.issuerUrl("default").toString(),
        "spillway.oidc.client-id", "spillway-e2e",
        "spillway.oidc.client-secret", "e2e-client-secret",
        "spillway.oidc.admin-emails", ADMIN_EMAIL,
        "spillway.replay.data-plane-url", "http://127.0.0.1:" + nodePort));
    node = stack.startNode(Files.createTempDirectory("e2e-logs-node"), stack.controlPlaneUri(), Map.of(), nodePort);

    profile = Files.createTempDirectory("spillway-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,900", "--user-data-dir=" + profile);
    driver = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build(), options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
    Files.createDirectories(SCREENSHOTS);
  }

  @AfterAll
  static void stop() throws IOException {
    if (driver != null) {
      driver.quit();
    }
    if (node != null) {
      node.close();
    }
    if (stack != null) {
      stack.close();
    }
    if (provider != null) {
      provider.close();
    }
    if (idp != null) {
      idp.shutdown();
    }
    if (profile != null) {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  @Test
  void anAdminFiltersTheLogsOpensARequestAndReplaysItAgainstAnotherRoute() throws Exception {
    ok(stack.admin("POST", "/api/v1/providers", """
        {"name": "fake", "type": "openai-compatible", "base_url": "%s",
         "keys": [{"name": "primary", "value": "sk-fake-upstream-000000"}]}""".formatted(provider.baseUrl())));
    ok(stack.admin("POST", "/api/v1/routes", """
        {"model": "primary", "targets": [{"provider": "fake", "model": "model-a"}]}"""));
    ok(stack.admin("POST", "/api/v1/routes", """
        {"model": "secondary", "targets": [{"provider": "fake", "model": "model-b"}]}"""));
    ok(stack.admin("PUT", "/api/v1/prices/fake/model-b", """
        {"input_per_mtok_usd": 1000, "output_per_mtok_usd": 2000}"""));
    UUID team = UUID.fromString(ok(stack.admin("POST", "/api/v1/teams", "{\"name\": \"logs-team\"}"))
        .get("id").stringValue());
    UUID key = UUID.fromString(ok(stack.admin("POST", "/api/v1/virtual-keys",
        "{\"name\": \"replay-key\", \"team_id\": \"" + team + "\"}")).get("id").stringValue());
    stack.awaitCurrentSnapshot(List.of(node));

    Instant at = Instant.now().minus(Duration.ofMinutes(10));
    String logged = "req-logged-" + UUID.randomUUID();
    String noise = "req-noise-" + UUID.randomUUID();
    insert(logged, at, team, key, "primary", 200, """
        {"model":"primary","stream":true,"messages":[{"role":"system","content":"Answer in one line."},
          {"role":"user","content":"What is a spillway? <b>bold?</b>"}]}""", """
        {"choices":[{"index":0,"message":{"role":"assistant","content":"A channel that carries overflow."}}]}""");
    insert(noise, at.plus(Duration.ofMinutes(1)), team, key, "other", 502, null, null);

    signIn();
    driver.get(stack.controlPlaneUri() + "/logs");
    waitFor(() -> rows().size() == 2);
    shot("logs");

    WebElement route = driver.findElement(By.id("l-route"));
    route.sendKeys("primary");
    driver.findElement(By.cssSelector("[data-testid=apply-filters]")).click();
    waitFor(() -> rows().size() == 1 && logged.equals(rows().get(0).getAttribute("data-request-id")));
    assertThat(driver.getCurrentUrl()).contains("route=primary");

    rows().get(0).findElement(By.cssSelector("[data-testid=log-link]")).click();
    waitFor(() -> driver.getCurrentUrl().endsWith("/logs/" + logged));
    assertThat(text("[data-testid=request-id]")).isEqualTo(logged);
    List<String> bubbles = driver.findElements(By.cssSelector("[data-testid=bubble]")).stream()
        .map(b -> b.getAttribute("data-role") + ": " + b.findElement(By.cssSelector(".bubble-text")).getText())
        .toList();
    // Escaped text: the markup in the prompt is shown as written, never rendered.
    assertThat(bubbles).containsExactly("system: Answer in one line.", "user: What is a spillway? <b>bold?</b>",
        "assistant: A channel that carries overflow.");
    assertThat(driver.findElements(By.cssSelector(".bubble-text b"))).isEmpty();
    shot("log-detail");

    WebElement model = driver.findElement(By.id("replay-model"));
    model.clear();
    model.sendKeys("secondary");
    new Select(driver.findElement(By.id("replay-key"))).selectByValue(key.toString());
    driver.findElement(By.cssSelector("[data-testid=replay-submit]")).click();
    waitFor(() -> !driver.findElements(By.cssSelector("[data-testid=replay-answer]")).isEmpty());
    shot("log-replay");

    assertThat(text("[data-testid=replay-original] [data-testid=original-answer] .bubble-text"))
        .isEqualTo("A channel that carries overflow.");
    assertThat(text("[data-testid=replay-text] .bubble-text")).isEqualTo("Echo: What is a spillway? <b>bold?</b>");
    assertThat(text("[data-testid=replay-status]")).isEqualTo("200");
    assertThat(text("[data-testid=replay-served-by]")).isEqualTo("fake / model-b");
    assertThat(text("[data-testid=replay-latency]")).endsWith(" ms");
    assertThat(text("[data-testid=original-latency]")).isEqualTo("120 ms");
    assertThat(text("[data-testid=replay-cost]")).startsWith("$");
    JsonNode sent = provider.lastRequest().json();
    assertThat(sent.path("model").asString()).isEqualTo("model-b");
    assertThat(sent.path("stream").asBoolean(true)).isFalse();
  }

  private static List<WebElement> rows() {
    return driver.findElements(By.cssSelector("[data-testid=log-row]"));
  }

  private static void signIn() {
    driver.get(stack.controlPlaneUri() + "/login");
    idp.enqueueCallback(new DefaultOAuth2TokenCallback("default", "sub-" + ADMIN_EMAIL, "JWT", null,
        Map.of("email", ADMIN_EMAIL, "email_verified", true, "name", "logs admin"), 3600));
    driver.findElement(By.cssSelector("[data-testid=sign-in]")).click();
    waitFor(() -> !driver.findElements(By.cssSelector("[data-testid=signed-in-as]")).isEmpty());
  }

  /** A logged request as the usage ingest writes it; bodies are gzip of the JSON, content policy {@code full}. */
  private static void insert(String id, Instant at, UUID team, UUID key, String route, int status,
      String requestJson, String responseJson) throws Exception {
    try (Connection c = stack.db.connect();
         PreparedStatement s = c.prepareStatement("""
             INSERT INTO request_logs (request_id, occurred_at, team_id, key_id, client_api, route, requested_model,
               provider, model, status_code, latency_ms, input_tokens, output_tokens, cost_usd, cache_status, attempts,
               content_policy, request_body, response_body)
             VALUES (?, ?, ?, ?, 'chat', ?, ?, 'fake', 'model-a', ?, 120, 20, 8, 0.0042, 'miss',
               '[{"provider":"fake","model":"model-a","status_code":200,"latency_ms":110,"started_ms":5}]'::jsonb,
               ?, ?, ?)""")) {
      s.setString(1, id);
      s.setTimestamp(2, Timestamp.from(at));
      s.setObject(3, team);
      s.setObject(4, key);
      s.setString(5, route);
      s.setString(6, route);
      s.setInt(7, status);
      s.setString(8, requestJson == null ? "none" : "full");
      s.setBytes(9, requestJson == null ? null : gzip(requestJson));
      s.setBytes(10, responseJson == null ? null : gzip(responseJson));
      s.executeUpdate();
    }
  }

  private static byte[] gzip(String text) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  private static JsonNode ok(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isBetween(200, 299);
    return response.body().isEmpty() ? null : JSON.readTree(response.body());
  }

  private static String text(String css) {
    return driver.findElement(By.cssSelector(css)).getText().strip();
  }

  private static void waitFor(Callable<Boolean> condition) {
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(condition);
  }

  private static void shot(String name) {
    try {
      File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
      Files.copy(png.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
