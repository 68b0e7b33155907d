package dev.spillway.controlplane.dashboard;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.usage.UsageLine;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard in headless Chromium (Debian's chromium and chromium-driver, given explicitly so Selenium never
 * downloads anything): an org admin creates a team, a key (its secret shown once) and a budget; a team admin is
 * refused another team's page and API; an expired session on an htmx click lands on the sign-in page. Screenshots
 * of the main pages go to {@code target/screenshots/} on every run.
 *
 * <p>Skipped (with a message) only when Chromium is not installed and the run is not {@code ./spillway test},
 * which installs it and sets {@code SPILLWAY_BROWSER_TESTS=required}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserIT extends ControlPlaneIntegrationTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static WebDriver driver;
  private static Path profile;

  @BeforeAll
  static void startBrowser() throws IOException {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!installed) {
      if ("required".equals(System.getenv("SPILLWAY_BROWSER_TESTS"))) {
        throw new IllegalStateException("browser tests are required but " + CHROMIUM + " or " + CHROMEDRIVER
            + " is missing (apt-get install chromium chromium-driver)");
      }
      Assumptions.abort("browser tests skipped: " + CHROMIUM + " and " + CHROMEDRIVER + " are not installed "
          + "(./spillway test installs them: apt-get install chromium chromium-driver)");
    }
    profile = Files.createTempDirectory("spillway-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,900", "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
    Files.createDirectories(SCREENSHOTS);
  }

  @AfterAll
  static void stopBrowser() throws IOException {
    if (driver != null) {
      driver.quit();
    }
    if (profile != null) {
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  @Test
  @Order(1)
  void anOrgAdminCreatesATeamAKeyWhoseSecretIsShownOnceAndABudget() {
    driver.get(baseUrl() + "/login");
    shot("login");
    signIn(ADMIN_EMAIL);
    assertThat(text(By.cssSelector("[data-testid=signed-in-as]"))).isEqualTo(ADMIN_EMAIL);
    waitFor(() -> !driver.findElements(By.cssSelector(".chart .uplot")).isEmpty());
    shot("overview");

    String team = unique("browser-team");
    driver.get(baseUrl() + "/teams");
    driver.findElement(By.id("team-name")).sendKeys(team);
    driver.findElement(By.cssSelector("[data-testid=create-team]")).click();
    waitFor(() -> driver.getCurrentUrl().matches(".*/teams/[0-9a-f-]{36}$"));
    assertThat(text(By.cssSelector("[data-testid=team-name]"))).isEqualTo(team);
    shot("team-detail");

    driver.findElement(By.cssSelector("[data-testid=new-key]")).click();
    waitFor(() -> driver.getCurrentUrl().contains("/virtual-keys/new"));
    driver.findElement(By.id("key-name")).sendKeys("browser-key");
    driver.findElement(By.cssSelector("[data-testid=create-key]")).click();
    waitFor(() -> !driver.findElements(By.cssSelector("[data-testid=secret]")).isEmpty());
    String secret = text(By.cssSelector("[data-testid=secret]"));
    assertThat(secret).startsWith("sk-sw-").hasSize(49);
    assertThat(jdbc.sql("SELECT count(*) FROM virtual_keys WHERE key_hash = ?").param(sha256Hex(secret))
        .query(Long.class).single()).isEqualTo(1);
    driver.findElement(By.cssSelector("[data-copy=new-secret]")).click();
    waitFor(() -> "Copied".equals(text(By.cssSelector("[data-copy=new-secret]")))
        || secret.equals(js("return window.getSelection().toString().trim();")));
    shot("key-created");

    driver.navigate().refresh();
    waitFor(() -> !driver.findElements(By.cssSelector("[data-testid=key-name]")).isEmpty());
    assertThat(driver.findElements(By.cssSelector("[data-testid=secret]"))).isEmpty();
    assertThat(driver.getPageSource()).doesNotContain(secret);

    WebElement limit = driver.findElement(By.id("key-limit"));
    limit.clear();
    limit.sendKeys("40");
    driver.findElement(By.cssSelector("#key-period option[value=weekly]")).click();
    // Shadow mode: the unticked box sends nothing; the form's marker field tells the server it was unticked.
    WebElement enforce = driver.findElement(By.id("key-enforce"));
    assertThat(enforce.isSelected()).isTrue();
    enforce.click();
    driver.findElement(By.cssSelector("#key-unreachable option[value=fail_open]")).click();
    driver.findElement(By.cssSelector("[data-testid=save-key]")).click();
    waitFor(() -> !driver.findElements(By.cssSelector("[data-testid=saved]")).isEmpty());
    // The details card is refreshed too (out of band), not only the form.
    waitFor(() -> driver.findElement(By.id("details")).getText()
        .contains("$0.00 of $40.00 weekly · shadow · fails open"));
    assertThat(driver.findElement(By.id("key-enforce")).isSelected()).isFalse();
    assertThat(driver.findElement(By.id("key-rate-enforce")).isSelected()).isTrue();
    shot("key-detail");

    driver.get(baseUrl() + "/budgets");
    WebElement row = driver.findElements(By.cssSelector("[data-testid=key-budgets] tbody tr")).stream()
        .filter(r -> r.getText().contains("browser-key") && r.getText().contains(team)).findFirst().orElseThrow();
    assertThat(row.getText()).contains("$0.00 of $40.00 weekly");
    shot("budgets");

    driver.get(baseUrl() + "/virtual-keys");
    driver.findElement(By.id("key-q")).sendKeys("browser-key");
    waitFor(() -> driver.getCurrentUrl().contains("q=browser-key"));
    waitFor(() -> driver.findElements(By.cssSelector("[data-testid=keys-table] tbody tr")).stream()
        .allMatch(r -> r.getText().contains("browser-key")));
    shot("virtual-keys");

    for (String page : new String[] {"teams", "providers", "routes", "routes/new", "usage", "nodes", "audit",
        "settings"}) {
      driver.get(baseUrl() + "/" + page);
      waitFor(() -> !driver.findElements(By.cssSelector("main h1")).isEmpty());
      shot(page.replace('/', '-'));
    }
    driver.get(baseUrl() + "/audit");
    assertThat(driver.findElement(By.cssSelector("[data-testid=audit-table]")).getText())
        .contains("virtual_key.create").contains("virtual_key.update").contains(ADMIN_EMAIL);

    driver.get(baseUrl() + "/");
    driver.findElement(By.cssSelector("[data-theme-toggle]")).click();
    waitFor(() -> js("return document.documentElement.getAttribute('data-theme');") != null);
    shot("overview-theme-toggled");
    driver.findElement(By.cssSelector("[data-theme-toggle]")).click();
  }

  @Test
  @Order(2)
  void aTeamAdminIsRefusedAnotherTeamsPageAndApi() {
    String own = createTeam(unique("own-team")).get("id").stringValue();
    String other = createTeam(unique("other-team")).get("id").stringValue();
    String email = newTeamAdmin(own, "browser-team-admin");

    signIn(email);
    driver.get(baseUrl() + "/teams/" + own);
    assertThat(driver.findElements(By.cssSelector("[data-testid=team-name]"))).hasSize(1);
    driver.get(baseUrl() + "/teams/" + other);
    assertThat(text(By.cssSelector("main h1"))).isEqualTo("Not allowed");
    assertThat(text(By.cssSelector("[data-testid=signed-in-as]"))).isEqualTo(email);
    assertThat(driver.findElements(By.cssSelector("[data-testid=team-name]"))).isEmpty();
    shot("forbidden");

    assertThat(fetchStatus("GET", "/api/v1/teams/" + own, null)).isEqualTo(200);
    assertThat(fetchStatus("GET", "/api/v1/teams/" + other, null)).isEqualTo(403);
    assertThat(fetchStatus("POST", "/api/v1/virtual-keys", "{\"name\":\"x\",\"team_id\":\"" + other + "\"}"))
        .isEqualTo(403);
    assertThat(fetchStatus("POST", "/api/v1/virtual-keys", "{\"name\":\"ok\",\"team_id\":\"" + own + "\"}"))
        .isEqualTo(201);
  }

  @Test
  @Order(3)
  void anExpiredSessionOnAnHtmxClickLandsOnTheSignInPage() {
    signIn(ADMIN_EMAIL);
    driver.get(baseUrl() + "/teams");
    waitFor(() -> !driver.findElements(By.cssSelector("#table th a")).isEmpty());
    driver.manage().deleteCookieNamed("SPILLWAY_SESSION");

    driver.findElement(By.cssSelector("#table th a")).click();

    waitFor(() -> driver.getCurrentUrl().endsWith("/login"));
    assertThat(text(By.cssSelector("h1"))).isEqualTo("Sign in to the dashboard");
    assertThat(driver.findElements(By.id("table"))).isEmpty();
    shot("session-expired-login");
  }

  @Test
  @Order(4)
  void aTeamAdminSeesItsTeamsCacheNumbersAndInvalidatesItsCacheButNotAnotherTeams() {
    UUID own = UUID.fromString(createTeam(unique("cache-own")).get("id").stringValue());
    UUID other = UUID.fromString(createTeam(unique("cache-other")).get("id").stringValue());
    UUID key = UUID.fromString(createKey(own.toString(), "k").get("id").stringValue());
    UUID otherKey = UUID.fromString(createKey(other.toString(), "k").get("id").stringValue());
    Instant at = Instant.now().minus(Duration.ofHours(1));
    String p = unique("browser-cache");
    // One exact and one semantic hit of five lookups; one shadow hit of two shadow lookups.
    assertStatus(node().send("POST", "/internal/v1/usage", "application/x-ndjson", UsageLine.batch(
        UsageLine.event(p + "-1", at).key(own, key).cacheHit("hit-exact", null, 1000, 2000, "1.25"),
        UsageLine.event(p + "-2", at).key(own, key).cacheHit("hit-semantic", 0.96f, 500, 500, "0.5"),
        UsageLine.event(p + "-3", at).key(own, key).cacheStatus("miss").cacheSimilarity(0.62f),
        UsageLine.event(p + "-4", at).key(own, key).cacheStatus("shadow-hit").cacheSimilarity(0.93f),
        UsageLine.event(p + "-5", at).key(own, key).cacheStatus("shadow-miss").cacheSimilarity(0.41f),
        UsageLine.event(p + "-6", at).key(other, otherKey).cacheHit("hit-exact", null, 9, 9, "9"))), 200);
    for (UUID team : new UUID[] {own, other}) {
      jdbc.sql("""
              INSERT INTO cache_entries (team_id, request_hash, context_hash, model, response, response_kind,
                                         expires_at)
              VALUES (?, ?, 'ctx', 'demo', '\\x7b7d'::bytea, 'openai-chat', now() + interval '1 hour')""")
          .params(team, unique("hash")).update();
    }
    String email = newTeamAdmin(own.toString(), "browser-cache-admin");

    signIn(email);
    driver.findElement(By.linkText("Cache")).click();
    waitFor(() -> driver.getCurrentUrl().endsWith("/cache"));

    List<WebElement> teams = driver.findElements(By.cssSelector("[data-testid=cache-team]"));
    assertThat(teams).hasSize(1);
    WebElement card = teams.get(0);
    assertThat(card.getAttribute("data-team-id")).isEqualTo(own.toString());
    assertThat(card.findElement(By.cssSelector("[data-testid=hit-rate]")).getText()).isEqualTo("40.0%");
    assertThat(card.findElement(By.cssSelector("[data-testid=would-be-hit-rate]")).getText()).isEqualTo("50.0%");
    assertThat(card.findElement(By.cssSelector("[data-testid=tokens-saved]")).getText()).isEqualTo("4,000");
    assertThat(card.findElement(By.cssSelector("[data-testid=usd-saved]")).getText()).isEqualTo("$1.75");
    List<String> counts = card.findElements(By.cssSelector("[data-testid=histogram-count]")).stream()
        .map(WebElement::getText).toList();
    assertThat(counts).containsExactly("1", "0", "0", "1", "0", "0", "0", "0", "0", "1", "1");
    shot("cache");

    driver.get(baseUrl() + "/cache?team=" + other);
    assertThat(text(By.cssSelector("main h1"))).isEqualTo("Not allowed");
    assertThat(driver.findElements(By.cssSelector("[data-testid=cache-team]"))).isEmpty();
    driver.get(baseUrl() + "/cache");
    assertThat(fetchStatus("POST", "/api/v1/cache/invalidations",
        "{\"scope\":\"team\",\"id\":\"" + other + "\"}")).isEqualTo(403);

    js("window.confirm = () => true;");
    driver.findElement(By.cssSelector("[data-testid=invalidate-cache]")).click();
    waitFor(() -> !driver.findElements(By.cssSelector("[data-testid=invalidated]")).isEmpty());

    assertThat(text(By.cssSelector("[data-testid=invalidated]"))).startsWith("Cache invalidated: 1 stored answer");
    assertThat(jdbc.sql("SELECT count(*) FROM cache_entries WHERE team_id = ?").param(own).query(Long.class)
        .single()).isZero();
    assertThat(jdbc.sql("SELECT count(*) FROM cache_entries WHERE team_id = ?").param(other).query(Long.class)
        .single()).isEqualTo(1);
    assertThat(jdbc.sql("SELECT actor_name FROM audit_events WHERE action = 'cache.invalidate' AND resource_id = ?")
        .param(own.toString()).query(String.class).single()).isEqualTo(email);
  }

  /** A new user who administers this team; answers the email to sign in with. */
  private String newTeamAdmin(String teamId, String prefix) {
    String email = unique(prefix) + "@example.com";
    String userId = assertStatus(admin().post("/api/v1/users", "{\"email\": \"%s\"}".formatted(email)), 201)
        .get("id").stringValue();
    assertStatus(admin().post("/api/v1/teams/" + teamId + "/members", """
        {"user_id": "%s", "role": "team_admin"}""".formatted(userId)), 201);
    return email;
  }

  private void signIn(String email) {
    driver.get(baseUrl() + "/login");
    driver.manage().deleteAllCookies();
    driver.get(baseUrl() + "/login");
    expectSignIn(email);
    driver.findElement(By.cssSelector("[data-testid=sign-in]")).click();
    waitFor(() -> driver.getCurrentUrl().startsWith(baseUrl() + "/?continue")
        || driver.getCurrentUrl().equals(baseUrl() + "/"));
    waitFor(() -> !driver.findElements(By.cssSelector("[data-testid=signed-in-as]")).isEmpty());
  }

  /** The status of a same-origin fetch with the page's session cookie and CSRF header. */
  private long fetchStatus(String method, String path, String json) {
    Object status = ((JavascriptExecutor) driver).executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        const headers = JSON.parse(document.body.getAttribute('hx-headers'));
        headers['Content-Type'] = 'application/json';
        fetch(arguments[1], {method: arguments[0], headers: headers, body: arguments[2]})
          .then(r => done(r.status), e => done(-1));""", method, path, json);
    return ((Number) status).longValue();
  }

  private static Object js(String script) {
    return ((JavascriptExecutor) driver).executeScript(script);
  }

  private static String text(By by) {
    return driver.findElement(by).getText().strip();
  }

  private static void waitFor(Callable<Boolean> condition) {
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).ignoreExceptions().until(condition);
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
