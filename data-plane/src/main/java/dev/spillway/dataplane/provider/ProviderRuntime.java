package dev.spillway.dataplane.provider;

import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderType;
import java.net.URI;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A provider ready for requests: its opened credentials and its base URI. Credentials exist only here, in
 * memory; {@link #toString()} never shows them.
 */
public final class ProviderRuntime {
  /** An opened credential. */
  public record Credential(String name, int weight, String secret) {
    @Override
    public String toString() {
      return "Credential[name=" + name + ", weight=" + weight + ", secret=<secret>]";
    }
  }

  private final ProviderConfig config;
  private final URI baseUri;
  private final List<Credential> credentials;
  private final int totalWeight;
  /** The same provider with one credential each, so that routing can choose the key and adapters need not know. */
  private final List<ProviderRuntime> pinned;

  public ProviderRuntime(ProviderConfig config, URI baseUri, List<Credential> credentials) {
    this.config = config;
    this.baseUri = baseUri;
    this.credentials = List.copyOf(credentials);
    this.totalWeight = this.credentials.stream().mapToInt(Credential::weight).sum();
    this.pinned = this.credentials.size() <= 1 ? List.of()
        : this.credentials.stream().map(c -> new ProviderRuntime(config, baseUri, List.of(c))).toList();
  }

  /** This provider using only its credential number {@code index} (itself when it has at most one). */
  public ProviderRuntime pinnedTo(int index) {
    return pinned.isEmpty() ? this : pinned.get(index);
  }

  public ProviderConfig config() {
    return config;
  }

  public String name() {
    return config.name();
  }

  public ProviderType type() {
    return config.type();
  }

  /** The API base, e.g. {@code https://api.openai.com/v1}; null for the in-process mock. */
  public URI baseUri() {
    return baseUri;
  }

  public List<Credential> credentials() {
    return credentials;
  }

  /** A credential picked by weight, or null when the provider has none. */
  public Credential pickCredential() {
    if (credentials.isEmpty()) {
      return null;
    }
    if (credentials.size() == 1 || totalWeight <= 0) {
      return credentials.get(0);
    }
    int ticket = ThreadLocalRandom.current().nextInt(totalWeight);
    for (Credential c : credentials) {
      ticket -= c.weight();
      if (ticket < 0) {
        return c;
      }
    }
    return credentials.get(credentials.size() - 1);
  }

  @Override
  public String toString() {
    return "ProviderRuntime[name=" + config.name() + ", type=" + config.type().wireName() + ", base=" + baseUri
        + ", credentials=" + credentials.size() + "]";
  }
}
