package dev.spillway.dataplane.cache;

import dev.spillway.config.CacheInvalidation;
import dev.spillway.config.CacheMode;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.dataplane.config.NodeConfig;
import dev.spillway.dataplane.exchange.CacheLookup;
import dev.spillway.dataplane.exchange.CacheResult;
import dev.spillway.dataplane.exchange.ExchangeRequest;
import dev.spillway.dataplane.exchange.Outcome;
import dev.spillway.dataplane.exchange.Settlement;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.canonical.CanonicalChunks;
import dev.spillway.dataplane.usage.Usage;
import dev.spillway.semantic.Embedder;
import dev.spillway.semantic.SemanticMatcher;
import dev.spillway.semantic.VerificationGate;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The response cache: stage 4 (lookup) and its part of stage 7 (storing a missed request's answer).
 *
 * <p>A lookup reads the node's in-memory exact tier on the event loop; on a miss it asks the shared tier in
 * PostgreSQL for the exact entry and, when the semantic cache is on for the request, embeds the last user message
 * and asks for the nearest entry of the same team and context, which the {@link SemanticMatcher} then accepts or
 * not. That part runs on the tier's own threads, within the lookup budget: past it, the request goes to the
 * provider, and a database that is down costs requests nothing more than the budget (its circuit breaker then skips
 * it altogether).
 *
 * <p>Entries belong to a team: lookups are filtered by team (and by context and embedding model), so a team is
 * never served another team's answer. Answers are stored as canonical chat completions after the request has been
 * answered, on a writer thread; a full writer queue drops the write, never the request.
 */
public final class ResponseCache implements CacheLookup, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ResponseCache.class);
  /** How long a write waits for the embedding model, which loads once per node (about a second). */
  private static final java.time.Duration MODEL_LOAD_WAIT = java.time.Duration.ofSeconds(30);

  private final CacheSettings settings;
  private final MemoryTier memory;
  private final SharedTier shared;
  private final Embeddings embeddings;
  private final SemanticMatcher matcher = new SemanticMatcher(VerificationGate.standard());
  private final ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS,
      new ArrayBlockingQueue<>(1000), runnable -> {
        Thread thread = new Thread(runnable, "cache-write");
        thread.setDaemon(true);
        return thread;
      });
  private volatile TeamIndex teams = new TeamIndex(null, Map.of());

  private final LongAdder exactHits = new LongAdder();
  private final LongAdder semanticHits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder shadowHits = new LongAdder();
  private final LongAdder timeouts = new LongAdder();
  private final LongAdder writes = new LongAdder();
  private final LongAdder writesDropped = new LongAdder();

  public ResponseCache(CacheSettings settings, Supplier<Embedder> embedder) {
    this.settings = settings;
    this.memory = new MemoryTier(settings.memoryBytes());
    this.shared = settings.dbUrl() == null ? null : new SharedTier(settings);
    this.embeddings = new Embeddings(embedder, settings.embedThreads());
  }

  /** With the node's default embedding model (loaded on first need). */
  public ResponseCache(CacheSettings settings) {
    this(settings, () -> dev.spillway.semantic.OnnxEmbedder.defaultModel(1));
  }

  @Override
  public void validate(HttpHeaders headers) {
    CachePolicy.validate(headers);
  }

  @Override
  public CompletionStage<CacheResult> lookup(ExchangeRequest request, HttpHeaders headers) {
    NodeConfig config = request.caller().config();
    VirtualKeyConfig key = request.caller().key().key();
    CachePolicy policy = CachePolicy.resolve(key, team(config, key.teamId()), settings, headers);
    if (!policy.engaged()) {
      return CompletableFuture.completedFuture(CacheResult.OFF);
    }
    if (CachePolicy.directive(headers) == CachePolicy.Directive.BYPASS) {
      return CompletableFuture.completedFuture(CacheResult.bypass());
    }
    ObjectNode canonical = request.canonical();
    String model = request.plan().routeName() != null ? request.plan().routeName()
        : canonical.path("model").asString("");
    RequestFingerprint fingerprint = RequestFingerprint.of(canonical, model);
    String prompt = policy.semantic() && shared != null && semanticEligible(canonical)
        ? fingerprint.normalisedPrompt() : null;
    CacheWrite write = new CacheWrite(key.teamId(), key.id(), model, fingerprint, policy.mode(),
        policy.ttlSeconds(), prompt);
    CacheResult miss = new CacheResult(CacheResult.MISS, null, null, write);
    if (!policy.read()) {
      return CompletableFuture.completedFuture(miss);
    }
    List<CacheInvalidation> invalidations = config.snapshot().cacheInvalidations();
    boolean exact = policy.mode() != CacheMode.OFF;
    if (exact) {
      StoredAnswer held = memory.get(key.teamId(), fingerprint.requestHash());
      if (held != null) {
        if (!held.expired(Instant.now()) && !held.invalidatedBy(invalidations)) {
          return served(CompletableFuture.completedFuture(hit(CacheResult.HIT_EXACT, null, held)));
        }
        memory.remove(key.teamId(), fingerprint.requestHash());
      }
    }
    if (shared == null || (!exact && prompt == null)) {
      return served(CompletableFuture.completedFuture(miss));
    }
    // The embedding starts with the exact lookup, not after it: most lookups that get this far miss both.
    Embedder embedder = prompt == null ? null : embeddings.model();
    CompletableFuture<float[]> embedding = embedder == null ? null : embeddings.embed(prompt);
    CompletableFuture<Optional<StoredAnswer>> exactLookup = exact
        ? shared.submit(() -> shared.exact(key.teamId(), fingerprint.requestHash()))
        : CompletableFuture.completedFuture(Optional.empty());
    CompletableFuture<CacheResult> result = exactLookup.thenCompose(found -> {
      if (found.isPresent() && !found.get().invalidatedBy(invalidations)) {
        memory.put(key.teamId(), fingerprint.requestHash(), found.get());
        return CompletableFuture.completedFuture(hit(CacheResult.HIT_EXACT, null, found.get()));
      }
      if (embedding == null) { // no semantic lookup for this request, or the model is still loading
        return CompletableFuture.completedFuture(miss);
      }
      return semantic(policy, write, prompt, embedder, embedding, invalidations);
    });
    CompletableFuture<CacheResult> bounded = new CompletableFuture<>();
    result.whenComplete((r, failure) -> bounded.complete(failure == null ? r : miss));
    bounded.completeOnTimeout(miss, settings.lookupBudget().toMillis(), TimeUnit.MILLISECONDS);
    bounded.thenAccept(r -> {
      if (r == miss && !result.isDone()) {
        timeouts.increment();
      }
    });
    return served(bounded);
  }

  /**
   * Counts what the lookup gave the request (not what a lookup past its budget found later, nor what a failing
   * database would have answered: both are misses to the request).
   */
  private CompletableFuture<CacheResult> served(CompletableFuture<CacheResult> lookup) {
    return lookup.thenApply(r -> {
      switch (r.status()) {
        case CacheResult.HIT_EXACT -> exactHits.increment();
        case CacheResult.HIT_SEMANTIC -> semanticHits.increment();
        case CacheResult.SHADOW_HIT -> {
          shadowHits.increment();
          misses.increment();
        }
        default -> misses.increment();
      }
      return r;
    });
  }

  private CompletableFuture<CacheResult> semantic(CachePolicy policy, CacheWrite write, String prompt, Embedder model,
      CompletableFuture<float[]> embedding, List<CacheInvalidation> invalidations) {
    return embedding.thenCompose(vector -> {
      write.embedding = vector;
      return shared.submit(() -> shared.nearest(write.teamId, write.fingerprint.contextHash(), model.modelName(),
          vector)).thenApply(nearest -> decide(policy, write, prompt, vector, nearest, invalidations));
    });
  }

  private CacheResult decide(CachePolicy policy, CacheWrite write, String prompt, float[] vector,
      Optional<SharedTier.Nearest> nearest, List<CacheInvalidation> invalidations) {
    if (nearest.isEmpty() || nearest.get().answer().invalidatedBy(invalidations)) {
      return new CacheResult(policy.shadow() ? CacheResult.SHADOW_MISS : CacheResult.MISS, null, null, write);
    }
    SharedTier.Nearest candidate = nearest.get();
    SemanticMatcher.Match match = matcher.match(vector, prompt,
        new SemanticMatcher.Candidate(candidate.embedding(), candidate.promptText()), policy.threshold());
    double similarity = Math.round(match.similarity() * 10_000) / 10_000.0;
    if (policy.shadow()) {
      return new CacheResult(match.hit() ? CacheResult.SHADOW_HIT : CacheResult.SHADOW_MISS, similarity, null,
          write);
    }
    if (match.hit() && policy.mode() == CacheMode.SEMANTIC) {
      return hit(CacheResult.HIT_SEMANTIC, similarity, candidate.answer());
    }
    return new CacheResult(CacheResult.MISS, similarity, null, write);
  }

  private static CacheResult hit(String status, Double similarity, StoredAnswer answer) {
    return new CacheResult(status, similarity, new CacheResult.Hit(answer.completion(), answer.usage(),
        answer.provider(), answer.model()), null);
  }

  /** Requests with tools, a high temperature or several choices skip the semantic cache: their answers vary. */
  private boolean semanticEligible(ObjectNode canonical) {
    JsonNode tools = canonical.get("tools");
    if (tools != null && tools.isArray() && !tools.isEmpty() || canonical.has("functions")) {
      return false;
    }
    JsonNode temperature = canonical.get("temperature");
    if (temperature != null && temperature.isNumber() && temperature.asDouble() > settings.maxTemperature()) {
      return false;
    }
    JsonNode n = canonical.get("n");
    return n == null || !n.isNumber() || n.asInt() <= 1;
  }

  /** The settle stage with this cache's writes after {@code next}'s work (usage first: it is what is billed). */
  public Settlement storingAnswers(Settlement next) {
    return new Settlement() {
      @Override
      public void settle(Outcome outcome) {
        next.settle(outcome);
        if (outcome.answer() != null && outcome.cache().write() instanceof CacheWrite write) {
          store(outcome, write);
        }
      }

      @Override
      public void refused(ExchangeRequest request, dev.spillway.dataplane.error.GatewayException refusal,
          long startNanos) {
        next.refused(request, refusal, startNanos);
      }
    };
  }

  private void store(Outcome outcome, CacheWrite write) {
    try {
      writer.execute(() -> {
        try {
          write(outcome, write);
        } catch (RuntimeException e) {
          log.debug("a cache write failed", e);
        }
      });
    } catch (RejectedExecutionException e) {
      writesDropped.increment();
    }
  }

  private void write(Outcome outcome, CacheWrite write) {
    ObjectNode completion = outcome.answer().completion();
    if (completion == null || !complete(completion)) {
      return;
    }
    Usage usage = outcome.usage();
    if (!completion.hasNonNull("usage") && usage.isKnown()) {
      completion.set("usage", CanonicalChunks.openAiUsage(usage.inputTokens(), usage.outputTokens(), null, null));
    }
    byte[] response = Json.bytes(completion);
    Instant now = Instant.now();
    Instant expires = now.plusSeconds(write.ttlSeconds);
    String provider = outcome.servedBy().provider().name();
    String servedModel = outcome.servedBy().model();
    StoredAnswer stored = new StoredAnswer(write.teamId, write.keyId, completion, usage, provider, servedModel, now,
        expires, response.length + 256);
    if (write.mode != CacheMode.OFF) {
      memory.put(write.teamId, write.fingerprint.requestHash(), stored);
    }
    writes.increment();
    if (shared == null || !shared.available()) {
      return;
    }
    float[] vector = write.embedding;
    Embedder model = write.normalisedPrompt == null ? null : embeddings.awaitModel(MODEL_LOAD_WAIT);
    if (write.normalisedPrompt != null && vector == null && model != null) {
      vector = model.embed(write.normalisedPrompt);
    }
    boolean withVector = write.normalisedPrompt != null && vector != null && model != null;
    SharedTier.Entry entry = new SharedTier.Entry(write.teamId, write.keyId, write.fingerprint.requestHash(),
        write.fingerprint.contextHash(), write.model, withVector ? model.modelName() : null,
        withVector ? vector : null, write.normalisedPrompt, response, usage, provider, servedModel, now, expires);
    // Waited for on this thread (not an event loop): flushWrites() then covers the database too.
    shared.submit(() -> {
      shared.upsert(entry);
      return null;
    }).exceptionally(e -> null).join();
  }

  /** Only finished answers are stored: not one the provider cut off by a filter, nor one without an end. */
  private static boolean complete(ObjectNode completion) {
    JsonNode choices = completion.path("choices");
    if (!choices.isArray() || choices.isEmpty()) {
      return false;
    }
    for (JsonNode choice : choices) {
      String finish = choice.path("finish_reason").asString("");
      if (finish.isEmpty() || finish.equals("content_filter") || finish.equals("error")) {
        return false;
      }
    }
    return true;
  }

  private TeamConfig team(NodeConfig config, String teamId) {
    TeamIndex index = teams;
    if (index.config != config) {
      Map<String, TeamConfig> byId = new HashMap<>();
      for (TeamConfig team : config.snapshot().teams()) {
        byId.put(team.id(), team);
      }
      index = new TeamIndex(config, byId);
      teams = index;
    }
    return index.byId.get(teamId);
  }

  private record TeamIndex(NodeConfig config, Map<String, TeamConfig> byId) {}

  // --- for /metrics and tests ---------------------------------------------------------------------------------------

  public long exactHits() {
    return exactHits.sum();
  }

  public long semanticHits() {
    return semanticHits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  public long shadowHits() {
    return shadowHits.sum();
  }

  public long lookupTimeouts() {
    return timeouts.sum();
  }

  public long writes() {
    return writes.sum();
  }

  public long writesDropped() {
    return writesDropped.sum();
  }

  public long databaseFailures() {
    return shared == null ? 0 : shared.failures();
  }

  public long memoryEntries() {
    return memory.size();
  }

  /** Whether semantic lookups can run (the model is loaded); starts loading it. */
  public boolean semanticReady() {
    return embeddings.model() != null;
  }

  /** Waits until the writes queued so far are done (tests, orderly shutdown). */
  public void flushWrites() {
    CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {}, writer);
    done.join();
  }

  @Override
  public void close() {
    writer.shutdown();
    try {
      writer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    embeddings.close();
    if (shared != null) {
      shared.close();
    }
  }
}
