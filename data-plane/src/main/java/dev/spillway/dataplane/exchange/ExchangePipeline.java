package dev.spillway.dataplane.exchange;

import dev.spillway.config.ContentPolicy;
import dev.spillway.dataplane.auth.Authenticator;
import dev.spillway.dataplane.auth.VirtualKeyTable;
import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.config.NodeConfig;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.metrics.Endpoint;
import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.protocol.EmbeddingsCall;
import dev.spillway.dataplane.protocol.anthropic.AnthropicMessagesFormat;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.tracing.RequestTrace;
import dev.spillway.dataplane.tracing.Tracing;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The life of every request that calls a provider — chat in any client API, embeddings, token counting — as named
 * stages, in order. One driver for all of them: this class runs stages 1 to 4, {@link Exchange} runs 5 to 7 for one
 * request, and what differs between kinds of request is an {@link Operation}.
 *
 * <ol>
 *   <li><b>authenticate</b> — the virtual key, from the headers, before the body is read: {@link #authenticate}.
 *   <li><b>parse</b> — the body, validated against the client's API, becomes an {@link Operation}; its model resolves
 *       to a plan of targets the key may use: {@link #parse}, {@link #resolve}.
 *   <li><b>admit</b> — policy: rate limits, budget reservation: {@link Admission}.
 *   <li><b>cache lookup</b> — an answer without a provider: {@link CacheLookup}.
 *   <li><b>route and attempt</b> — targets in plan order, retries, fallbacks: {@link Exchange}, {@link Attempts}.
 *   <li><b>relay</b> — native or translated, streamed or complete: {@link Exchange}, {@link StreamRelay},
 *       {@link Operation#answer}.
 *   <li><b>settle</b> — usage, cost, cache write; exactly once, on every path: {@link Settlement}.
 * </ol>
 *
 * <p>Every stage runs on the request's event loop and none blocks; a stage that waits for something (a cache lookup)
 * resumes the request on its event loop. A stage refuses a request by throwing a {@code GatewayException}, which
 * the connection answers in the client's error shape.
 */
public final class ExchangePipeline {
  /** The session a request belongs to, for sticky routing; before any session id in the body. */
  public static final String SESSION_HEADER = "x-spillway-session-id";
  /** The request's own fallbacks, comma-separated; the body's {@code fallbacks} field wins. */
  public static final String FALLBACKS_HEADER = "x-spillway-fallbacks";
  static final String FALLBACKS_FIELD = "fallbacks";
  private static final int MAX_REQUEST_FALLBACKS = 10;

  private final ConfigHolder config;
  private final ProxyServices services;
  private final Admission admission;
  private final CacheLookup cache;
  private final Settlement settlement;
  private final Tracing tracing;
  private final Map<Endpoint, ClientFormat> formats = ClientFormats.byEndpoint();

  public ExchangePipeline(ConfigHolder config, ProxyServices services, Admission admission, CacheLookup cache,
      Settlement settlement) {
    this(config, services, admission, cache, settlement, Tracing.OFF);
  }

  /** As above, with the node's tracing: a span per request and per upstream attempt when it is on. */
  public ExchangePipeline(ConfigHolder config, ProxyServices services, Admission admission, CacheLookup cache,
      Settlement settlement, Tracing tracing) {
    this.tracing = Objects.requireNonNull(tracing, "tracing");
    this.config = Objects.requireNonNull(config, "config");
    this.services = Objects.requireNonNull(services, "services");
    this.admission = Objects.requireNonNull(admission, "admission");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.settlement = Objects.requireNonNull(settlement, "settlement");
  }

  /** A pipeline whose admit, cache and settle stages are empty. */
  public ExchangePipeline(ConfigHolder config, ProxyServices services) {
    this(config, services, Admission.ADMIT_ALL, CacheLookup.NONE, Settlement.NONE);
  }

  /** Whether requests to {@code endpoint} run through this pipeline (they are POSTs with a body). */
  public boolean serves(Endpoint endpoint) {
    return formats.containsKey(endpoint) || endpoint == Endpoint.EMBEDDINGS || endpoint == Endpoint.COUNT_TOKENS;
  }

  /** Stage 1, authenticate: from the headers alone, so a request without a valid key is refused unread. */
  public Caller authenticate(HttpHeaders headers) {
    NodeConfig current = config.current();
    if (current == null) {
      throw GatewayError.NOT_READY.exception("this Spillway node has no config yet; try again shortly");
    }
    return new Caller(Authenticator.authenticate(headers, current.keys()), current);
  }

  /**
   * Stages 2 to 7 for a request whose body is in. Returns the exchange, which keeps running after this call (the
   * connection tells it when the client goes away or its socket buffer fills up).
   */
  public Exchange run(RequestContext rc, Caller caller, Endpoint endpoint, FullHttpRequest req) {
    RequestTrace trace = tracing.start(endpoint, req.headers(), rc.requestId(), rc.startNanos());
    try {
      return run(rc, caller, endpoint, req, trace);
    } catch (GatewayException e) {
      trace.failed(e.error());
      throw e;
    } catch (RuntimeException e) {
      trace.failed(GatewayError.INTERNAL);
      throw e;
    }
  }

  private Exchange run(RequestContext rc, Caller caller, Endpoint endpoint, FullHttpRequest req,
      RequestTrace trace) {
    ObjectNode body = Json.parseObject(req.content());
    // Spillway's own field: no provider sees it.
    JsonNode bodyFallbacks = body.remove(FALLBACKS_FIELD);
    Operation operation = parse(endpoint, body, req);
    if (operation.cacheable()) {
      cache.validate(req.headers());
    }
    RouteTable.Plan plan = resolve(caller, operation.requestedModel(), req.headers());
    plan = operation.plan(withRequestFallbacks(caller, plan, bodyFallbacks, req.headers().get(FALLBACKS_HEADER)));
    ExchangeRequest request = new ExchangeRequest(rc.requestId(), caller, endpoint, plan, operation.canonical(),
        operation.stream(), req.content().writerIndex(), clientRequest(caller, req));
    trace.resolved(caller.key().key().id(), caller.key().key().teamId(), plan.routeName(), operation.requestedModel());
    String session = req.headers().get(SESSION_HEADER);
    Exchange exchange = new Exchange(services, rc, request, operation, settlement,
        session != null && !session.isEmpty() ? session : operation.sessionId(), trace);
    CompletableFuture<Admission.Reservation> admitted = admission.admit(request).toCompletableFuture();
    if (admitted.isDone()) {
      // The common case: the node's leases cover the request; a refusal is thrown to the caller, which answers it.
      Admission.Reservation reservation;
      try {
        reservation = admitted.join();
      } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
        throw refused(rc, request, unwrap(e));
      }
      admit(rc, request, exchange, operation, req.headers(), reservation);
      return exchange;
    }
    admitted.whenComplete((reservation, failure) -> rc.ctx().executor().execute(() -> {
      if (failure != null) {
        exchange.refuse(refused(rc, request, unwrap(failure)));
      } else {
        admit(rc, request, exchange, operation, req.headers(), reservation);
      }
    }));
    return exchange;
  }

  /**
   * What the request log keeps of the client's request: the body is copied only when the key's content policy keeps
   * content (redaction and compression happen later, off the event loop).
   */
  private static ExchangeRequest.ClientRequest clientRequest(Caller caller, FullHttpRequest req) {
    String userAgent = req.headers().get(HttpHeaderNames.USER_AGENT);
    // Only a replay the control plane sent (authenticated with the node token and the key's id) says what it
    // replays: a client's own header would make its request pass for a replay in the logs.
    String replayOf = req.headers().contains(Authenticator.REPLAY_KEY_HEADER)
        ? req.headers().get(Authenticator.REPLAY_OF_HEADER) : null;
    byte[] body = null;
    if (caller.key().logging().content() != ContentPolicy.NONE) {
      // The whole body, whatever parsing did to the reader index.
      body = new byte[req.content().writerIndex()];
      req.content().getBytes(0, body);
    }
    if (userAgent == null && replayOf == null && body == null) {
      return ExchangeRequest.ClientRequest.NONE;
    }
    return new ExchangeRequest.ClientRequest(userAgent, replayOf, body);
  }

  private void admit(RequestContext rc, ExchangeRequest request, Exchange exchange, Operation operation,
      HttpHeaders headers, Admission.Reservation reservation) {
    if (exchange.admitted(reservation)) {
      lookUp(rc, request, exchange, operation, headers);
    }
  }

  /** A refusal by a limit is recorded (stage 7 for a request that never ran). */
  private RuntimeException refused(RequestContext rc, ExchangeRequest request, RuntimeException failure) {
    if (failure instanceof GatewayException refusal) {
      settlement.refused(request, refusal, rc.startNanos());
    }
    return failure;
  }

  private static RuntimeException unwrap(Throwable failure) {
    Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    return cause instanceof RuntimeException e ? e : new IllegalStateException(cause);
  }

  /** Stage 2, parse: the body against the endpoint's API; a 400 names the field at fault. */
  private Operation parse(Endpoint endpoint, ObjectNode body, FullHttpRequest req) {
    ClientFormat format = formats.get(endpoint);
    if (format != null) {
      return new ChatOperation(format.parse(body, req.headers()), format);
    }
    return switch (endpoint) {
      case EMBEDDINGS -> new EmbeddingsOperation(EmbeddingsCall.parse(body));
      case COUNT_TOKENS -> new CountTokensOperation(AnthropicMessagesFormat.countTokensCall(body, req.headers()));
      default -> throw new IllegalArgumentException("not an exchange endpoint: " + endpoint);
    };
  }

  /**
   * Stage 2, resolve: the model to a plan of targets, if the caller's key may use it. The first routing rule that
   * matches the request (team, key metadata, headers, model pattern) picks the route; else the model names it.
   */
  public static RouteTable.Plan resolve(Caller caller, String model, HttpHeaders headers) {
    if (!caller.key().allows(model)) {
      requireKnown(caller, model);
      throw GatewayError.MODEL_NOT_ALLOWED.exception("this key may not use model '" + model + "'", "model");
    }
    VirtualKeyTable.Entry key = caller.key();
    return caller.config().routes().resolve(model, key.key().teamId(), key.key().metadata(), headers)
        .orElseThrow(() -> unknownModel(model, "model"));
  }

  private static void requireKnown(Caller caller, String model) {
    if (caller.config().routes().resolve(model).isEmpty()) {
      throw unknownModel(model, "model");
    }
  }

  private static RuntimeException unknownModel(String model, String param) {
    return GatewayError.MODEL_NOT_FOUND.exception("model '" + model
        + "' is neither a route nor <provider>/<model> of a configured provider", param);
  }

  /**
   * The request's own fallbacks ({@code fallbacks} in the body, or {@code x-spillway-fallbacks}: route names or
   * {@code <provider>/<model>}, comma-separated in the header) replace the route's: each must be known and allowed
   * for the key, or the request is refused naming it.
   */
  static RouteTable.Plan withRequestFallbacks(Caller caller, RouteTable.Plan plan, JsonNode bodyFallbacks,
      String headerFallbacks) {
    List<String> names = new ArrayList<>();
    if (bodyFallbacks != null && !bodyFallbacks.isNull()) {
      if (!bodyFallbacks.isArray()) {
        throw GatewayError.INVALID_REQUEST.exception("fallbacks must be an array of model names", FALLBACKS_FIELD);
      }
      for (JsonNode name : bodyFallbacks) {
        if (!name.isString() || name.asString().isBlank()) {
          throw GatewayError.INVALID_REQUEST.exception("fallbacks must be an array of model names",
              FALLBACKS_FIELD);
        }
        names.add(name.asString().strip());
      }
    } else if (headerFallbacks != null && !headerFallbacks.isBlank()) {
      for (String name : headerFallbacks.split(",")) {
        if (!name.isBlank()) {
          names.add(name.strip());
        }
      }
    } else {
      return plan;
    }
    if (names.size() > MAX_REQUEST_FALLBACKS) {
      throw GatewayError.INVALID_REQUEST.exception("at most " + MAX_REQUEST_FALLBACKS + " fallbacks, got "
          + names.size(), FALLBACKS_FIELD);
    }
    List<RouteTable.Target> targets = new ArrayList<>();
    for (String name : names) {
      RouteTable.Plan fallback = caller.config().routes().resolve(name)
          .orElseThrow(() -> unknownModel(name, FALLBACKS_FIELD));
      if (!caller.key().allows(name)) {
        throw GatewayError.MODEL_NOT_ALLOWED.exception("this key may not use fallback model '" + name + "'",
            FALLBACKS_FIELD);
      }
      targets.addAll(fallback.targets());
    }
    return plan.withFallbacks(targets);
  }

  /**
   * Stage 4, cache lookup, then stages 5 to 7 on a miss. A lookup that fails counts as a miss (and its answer is
   * not stored: the cache could not be read, so it is unlikely to take a write).
   */
  private void lookUp(RequestContext rc, ExchangeRequest request, Exchange exchange, Operation operation,
      HttpHeaders headers) {
    if (!operation.cacheable()) {
      exchange.start();
      return;
    }
    CompletableFuture<CacheResult> lookup;
    try {
      lookup = cache.lookup(request, headers).toCompletableFuture();
    } catch (RuntimeException e) {
      lookup = CompletableFuture.completedFuture(CacheResult.OFF);
    }
    if (lookup.isDone() && !lookup.isCompletedExceptionally()) {
      continueAfterLookup(exchange, lookup.join());
      return;
    }
    lookup.whenComplete((result, failure) -> rc.ctx().executor().execute(() ->
        continueAfterLookup(exchange, failure == null ? result : CacheResult.OFF)));
  }

  private static void continueAfterLookup(Exchange exchange, CacheResult result) {
    exchange.cacheDecided(result);
    if (result.hit() != null) {
      exchange.answerFromCache(result.hit());
    } else {
      exchange.start();
    }
  }
}
