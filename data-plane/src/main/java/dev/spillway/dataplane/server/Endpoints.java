package dev.spillway.dataplane.server;

import dev.spillway.dataplane.auth.Authenticator;
import dev.spillway.dataplane.exchange.RequestContext;
import dev.spillway.dataplane.exchange.Responses;
import dev.spillway.dataplane.auth.VirtualKeyTable;
import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.config.NodeConfig;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.anthropic.AnthropicMessagesFormat;
import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.exchange.ClientFormats;
import dev.spillway.dataplane.exchange.ChatProxy;
import dev.spillway.dataplane.exchange.CountTokensProxy;
import dev.spillway.dataplane.exchange.EmbeddingsProxy;
import dev.spillway.dataplane.protocol.EmbeddingsCall;
import dev.spillway.dataplane.exchange.ProxyServices;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.metrics.NodeMetrics;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Dispatches a complete request to its endpoint. Runs on the connection's event loop; whatever it starts
 * (a proxy exchange) continues there. Returns the exchange when one outlives this call.
 */
final class Endpoints {
  private final ConfigHolder config;
  private final ProxyServices services;
  private final Map<String, ClientFormat> formats = ClientFormats.byPath();
  private final NodeMetrics metrics;

  Endpoints(ConfigHolder config, ProxyServices services) {
    this(config, services, NodeMetrics.NONE);
  }

  Endpoints(ConfigHolder config, ProxyServices services, NodeMetrics metrics) {
    this.config = config;
    this.services = services;
    this.metrics = metrics;
  }

  NodeMetrics metrics() {
    return metrics;
  }

  /** Handles the request; a returned proxy keeps running after this call, anything else has already answered. */
  ChatProxy dispatch(RequestContext rc, FullHttpRequest req, String path) {
    HttpMethod method = req.method();
    switch (path) {
      case "/healthz" -> {
        requireMethod(method, HttpMethod.GET, path);
        ObjectNode body = Json.object().put("status", "ok");
        Responses.json(rc, HttpResponseStatus.OK, Json.bytes(body), null);
        return null;
      }
      case "/readyz" -> {
        requireMethod(method, HttpMethod.GET, path);
        NodeConfig current = config.current();
        if (current == null) {
          String why = config.lastError() == null ? "no config snapshot yet" : config.lastError();
          throw GatewayError.NOT_READY.exception("not ready: " + why);
        }
        ObjectNode body = Json.object().put("status", "ready").put("config_version", current.version());
        Responses.json(rc, HttpResponseStatus.OK, Json.bytes(body), null);
        return null;
      }
      case "/v1/models" -> {
        requireMethod(method, HttpMethod.GET, path);
        models(rc, req);
        return null;
      }
      case "/metrics" -> {
        requireMethod(method, HttpMethod.GET, path);
        byte[] text = metrics.scrape();
        if (text == null) {
          throw GatewayError.UNKNOWN_URL.exception("this node keeps no metrics");
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
            Unpooled.wrappedBuffer(text));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, NodeMetrics.CONTENT_TYPE);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
        Responses.write(rc, response);
        return null;
      }
      case "/v1/messages/count_tokens" -> {
        requireMethod(method, HttpMethod.POST, path);
        countTokens(rc, req);
        return null;
      }
      case "/v1/embeddings" -> {
        requireMethod(method, HttpMethod.POST, path);
        embeddings(rc, req);
        return null;
      }
      default -> {
        ClientFormat format = formats.get(path);
        if (format != null) {
          requireMethod(method, HttpMethod.POST, path);
          return generate(rc, req, format);
        }
        throw GatewayError.UNKNOWN_URL.exception("Unknown request URL: " + method + " " + path);
      }
    }
  }

  /** A generation request in any client API: authenticate, parse, resolve the model, start the proxy. */
  private ChatProxy generate(RequestContext rc, FullHttpRequest req, ClientFormat format) {
    NodeConfig current = readyConfig();
    VirtualKeyTable.Entry key = Authenticator.authenticate(req.headers(), current.keys());
    ChatCall call = format.parse(Json.parseObject(req.content()), req.headers());
    RouteTable.Plan plan = resolve(current, key, call.requestedModel());
    ChatProxy proxy = new ChatProxy(services, rc, call, format, plan);
    proxy.start();
    return proxy;
  }

  /** Anthropic's token counting: authenticate, parse, resolve; the counter answers (not a generation). */
  private void countTokens(RequestContext rc, FullHttpRequest req) {
    NodeConfig current = readyConfig();
    VirtualKeyTable.Entry key = Authenticator.authenticate(req.headers(), current.keys());
    ChatCall call = AnthropicMessagesFormat.countTokensCall(Json.parseObject(req.content()), req.headers());
    new CountTokensProxy(services, rc, call, resolve(current, key, call.requestedModel())).start();
  }

  /** Embeddings: authenticate, parse, resolve; the proxy answers (it cancels its upstream call if the client goes). */
  private void embeddings(RequestContext rc, FullHttpRequest req) {
    NodeConfig current = readyConfig();
    VirtualKeyTable.Entry key = Authenticator.authenticate(req.headers(), current.keys());
    EmbeddingsCall call = EmbeddingsCall.parse(Json.parseObject(req.content()));
    RouteTable.Plan plan = resolve(current, key, call.requestedModel());
    new EmbeddingsProxy(services, rc, call, plan).start();
  }

  private void models(RequestContext rc, FullHttpRequest req) {
    NodeConfig current = readyConfig();
    VirtualKeyTable.Entry key = Authenticator.authenticate(req.headers(), current.keys());
    List<String> ids = new ArrayList<>();
    if (key.allowedModels().isEmpty()) {
      ids.addAll(current.routes().routeNames());
    } else {
      key.allowedModels().stream().sorted().forEach(ids::add);
    }
    ObjectNode root = Json.object().put("object", "list");
    ArrayNode data = root.putArray("data");
    for (String id : ids) {
      data.addObject().put("id", id).put("object", "model").put("created", 0).put("owned_by", "spillway");
    }
    Responses.json(rc, HttpResponseStatus.OK, Json.bytes(root), null);
  }

  private NodeConfig readyConfig() {
    NodeConfig current = config.current();
    if (current == null) {
      throw GatewayError.NOT_READY.exception("this Spillway node has no config yet; try again shortly");
    }
    return current;
  }

  private static RouteTable.Plan resolve(NodeConfig config, VirtualKeyTable.Entry key, String model) {
    RouteTable.Plan plan = config.routes().resolve(model).orElseThrow(() -> GatewayError.MODEL_NOT_FOUND
        .exception("model '" + model + "' is neither a route nor <provider>/<model> of a configured provider",
            "model"));
    if (!key.allows(model)) {
      throw GatewayError.MODEL_NOT_ALLOWED.exception("this key may not use model '" + model + "'", "model");
    }
    return plan;
  }

  private static void requireMethod(HttpMethod actual, HttpMethod expected, String path) {
    if (!actual.equals(expected)) {
      throw GatewayError.METHOD_NOT_ALLOWED.exception(path + " accepts " + expected + " only");
    }
  }
}
