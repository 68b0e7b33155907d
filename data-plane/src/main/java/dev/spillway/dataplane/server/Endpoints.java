package dev.spillway.dataplane.server;

import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.config.NodeConfig;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.exchange.Caller;
import dev.spillway.dataplane.exchange.Exchange;
import dev.spillway.dataplane.exchange.ExchangePipeline;
import dev.spillway.dataplane.exchange.ProxyServices;
import dev.spillway.dataplane.exchange.RequestContext;
import dev.spillway.dataplane.exchange.Responses;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.metrics.Endpoint;
import dev.spillway.dataplane.metrics.NodeMetrics;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The node's public endpoints: the operations ones ({@code /healthz}, {@code /readyz}; {@code /metrics} is on the
 * admin port, {@link AdminServer}), the key's model list, and everything that calls a provider, which goes through the {@link ExchangePipeline}. Runs on the
 * connection's event loop.
 */
final class Endpoints {
  private final ConfigHolder config;
  private final ExchangePipeline pipeline;
  private final NodeMetrics metrics;

  Endpoints(ConfigHolder config, ProxyServices services) {
    this(config, services, NodeMetrics.NONE);
  }

  Endpoints(ConfigHolder config, ProxyServices services, NodeMetrics metrics) {
    this(config, new ExchangePipeline(config, services), metrics);
  }

  Endpoints(ConfigHolder config, ExchangePipeline pipeline, NodeMetrics metrics) {
    this.config = config;
    this.pipeline = pipeline;
    this.metrics = metrics;
  }

  NodeMetrics metrics() {
    return metrics;
  }

  /**
   * What can be decided from a request's head alone: the URL and method, and — for endpoints that need a virtual
   * key — stage 1 of the pipeline, authentication. Returns the caller (null for endpoints without a key) or throws the
   * refusal.
   */
  Caller authenticateHead(HttpRequest head, String path) {
    Endpoint endpoint = Endpoint.of(path);
    HttpMethod method = head.method();
    switch (endpoint) {
      case HEALTHZ, READYZ -> {
        requireMethod(method, HttpMethod.GET, path);
        return null;
      }
      case MODELS -> {
        requireMethod(method, HttpMethod.GET, path);
        return pipeline.authenticate(head.headers());
      }
      default -> {
        if (!pipeline.serves(endpoint)) {
          throw GatewayError.UNKNOWN_URL.exception("Unknown request URL: " + method + " " + path);
        }
        requireMethod(method, HttpMethod.POST, path);
        return pipeline.authenticate(head.headers());
      }
    }
  }

  /** Handles a complete request; a returned exchange keeps running after this call, anything else has answered. */
  Exchange dispatch(RequestContext rc, InboundRequest inbound, String path) {
    Endpoint endpoint = Endpoint.of(path);
    switch (endpoint) {
      case HEALTHZ -> {
        ObjectNode body = Json.object().put("status", "ok");
        Responses.json(rc, HttpResponseStatus.OK, Json.bytes(body), null);
        return null;
      }
      case READYZ -> {
        NodeConfig current = config.current();
        if (current == null) {
          String why = config.lastError() == null ? "no config snapshot yet" : config.lastError();
          throw GatewayError.NOT_READY.exception("not ready: " + why);
        }
        ObjectNode body = Json.object().put("status", "ready").put("config_version", current.version());
        Responses.json(rc, HttpResponseStatus.OK, Json.bytes(body), null);
        return null;
      }
      case MODELS -> {
        models(rc, inbound.caller());
        return null;
      }
      default -> {
        return pipeline.run(rc, inbound.caller(), endpoint, inbound.request());
      }
    }
  }

  /** The models this key may use: the allowed list, or every route when the key may use any. */
  private static void models(RequestContext rc, Caller caller) {
    List<String> ids = new ArrayList<>();
    if (caller.key().allowedModels().isEmpty()) {
      ids.addAll(caller.config().routes().routeNames());
    } else {
      caller.key().allowedModels().stream().sorted().forEach(ids::add);
    }
    ObjectNode root = Json.object().put("object", "list");
    ArrayNode data = root.putArray("data");
    for (String id : ids) {
      data.addObject().put("id", id).put("object", "model").put("created", 0).put("owned_by", "spillway");
    }
    Responses.json(rc, HttpResponseStatus.OK, Json.bytes(root), null);
  }

  private static void requireMethod(HttpMethod actual, HttpMethod expected, String path) {
    if (!actual.equals(expected)) {
      throw GatewayError.METHOD_NOT_ALLOWED.exception(path + " accepts " + expected + " only");
    }
  }
}
