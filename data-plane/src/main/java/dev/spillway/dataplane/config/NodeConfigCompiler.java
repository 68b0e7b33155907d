package dev.spillway.dataplane.config;

import dev.spillway.config.InvalidSnapshotException;
import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderKeyConfig;
import dev.spillway.config.SealedSecret;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.SnapshotValidator;
import dev.spillway.config.TeamConfig;
import dev.spillway.dataplane.auth.VirtualKeyTable;
import dev.spillway.dataplane.provider.ProviderRuntime;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.routing.RoutingHealth;
import dev.spillway.dataplane.usage.PriceTable;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Validates a snapshot and compiles it into a {@link NodeConfig}; any failure leaves the node's config untouched. */
public final class NodeConfigCompiler {
  private final SealedSecret sealed;
  private final RoutingHealth health;
  private final String nodeToken;

  public NodeConfigCompiler(String nodeToken) {
    this(nodeToken, new RoutingHealth());
  }

  /** Route tables compiled here share {@code health}: breakers and cooldowns outlive snapshots. */
  public NodeConfigCompiler(String nodeToken, RoutingHealth health) {
    this.sealed = SealedSecret.forNodes(nodeToken);
    this.health = health;
    this.nodeToken = nodeToken;
  }

  public NodeConfig compile(SnapshotConfig snapshot, String sha256) {
    SnapshotValidator.requireValid(snapshot);
    Map<String, TeamConfig> teams = new HashMap<>();
    snapshot.teams().forEach(t -> teams.put(t.id(), t));
    Map<String, ProviderRuntime> providers = new HashMap<>();
    for (ProviderConfig provider : snapshot.providers()) {
      providers.put(provider.name(), runtime(provider));
    }
    try {
      NodeConfig compiled = new NodeConfig(snapshot.version(), sha256, snapshot,
          VirtualKeyTable.compile(snapshot.virtualKeys(), teams, nodeToken),
          RouteTable.compile(snapshot.routes(), snapshot.routingRules(), providers, health),
          PriceTable.of(snapshot.prices()));
      Set<String> liveKeys = new HashSet<>();
      for (ProviderConfig provider : snapshot.providers()) {
        liveKeys.add(RoutingHealth.keyId(provider.name(), RoutingHealth.NO_KEY));
        provider.keys().forEach(k -> liveKeys.add(RoutingHealth.keyId(provider.name(), k.name())));
      }
      health.snapshotApplied(liveKeys);
      return compiled;
    } catch (IllegalArgumentException e) {
      throw new InvalidSnapshotException(e.getMessage(), e);
    }
  }

  private ProviderRuntime runtime(ProviderConfig provider) {
    List<ProviderRuntime.Credential> credentials = new ArrayList<>();
    for (ProviderKeyConfig key : provider.keys()) {
      String context = "provider:" + provider.id() + ":key:" + key.name();
      try {
        credentials.add(new ProviderRuntime.Credential(key.name(), key.weight(), sealed.open(key.sealedValue(), context)));
      } catch (IllegalArgumentException e) {
        throw new InvalidSnapshotException("provider " + provider.name() + " key " + key.name()
            + " cannot be opened with this node's token (is SPILLWAY_NODE_TOKEN the control plane's?)");
      }
    }
    return new ProviderRuntime(provider, baseUri(provider), credentials);
  }

  static URI baseUri(ProviderConfig provider) {
    String base = provider.baseUrl() != null ? provider.baseUrl() : defaultBaseUrl(provider);
    if (base == null) {
      return null;
    }
    try {
      URI uri = new URI(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
      if (uri.getHost() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
        throw new InvalidSnapshotException("provider " + provider.name() + " has an unusable base_url " + base);
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new InvalidSnapshotException("provider " + provider.name() + " has an invalid base_url " + base);
    }
  }

  private static String defaultBaseUrl(ProviderConfig provider) {
    return switch (provider.type()) {
      case OPENAI -> "https://api.openai.com/v1";
      case ANTHROPIC -> "https://api.anthropic.com";
      case GEMINI -> "https://generativelanguage.googleapis.com";
      case BEDROCK -> "https://bedrock-runtime." + provider.setting("region", "us-east-1") + ".amazonaws.com";
      case MOCK -> null;
      case AZURE_OPENAI, OPENAI_COMPATIBLE -> throw new InvalidSnapshotException(
          "provider " + provider.name() + " of type " + provider.type().wireName() + " needs a base_url");
    };
  }
}
