package dev.spillway.controlplane.provider;

import dev.spillway.config.ProviderAddressPolicy;
import dev.spillway.controlplane.common.ApiException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Where a provider's {@code base_url} may point (see {@link ProviderAddressPolicy}): checked when a provider is
 * saved, through the API, the dashboard or a config file, and again by "Test connection" right before it connects.
 *
 * <p>Resolution uses the JVM's resolver, whose positive answers are cached (30 s by default), so the address this
 * checks is the one the JDK HTTP client connects to a moment later: a name that a hostile DNS server answers first
 * with a public and then with a private address (DNS rebinding) is judged on the address actually used. Nodes
 * check again on every connection they open (the data plane's {@code upstream} package).
 */
@Component
public class ProviderUrlPolicy {
  private final ProviderAddressPolicy policy;

  public ProviderUrlPolicy(@Value("${spillway.allow-private-provider-urls:false}") String allowPrivate) {
    this.policy = new ProviderAddressPolicy(ProviderAddressPolicy.parseFlag(allowPrivate));
  }

  /** Refuses (400 naming {@code field}) a URL whose host is, or resolves to, an address the policy refuses. */
  public void requireAllowed(String field, String url) {
    if (url == null) {
      return;
    }
    refusal(URI.create(url)).ifPresent(reason -> {
      throw ApiException.invalid(field, reason);
    });
  }

  /**
   * Why a connection to {@code uri} is refused, or empty. A name that does not resolve is not refused here: the
   * connection will fail on its own, and the provider may be reachable only from the nodes' network.
   */
  public Optional<String> refusal(URI uri) {
    String host = uri.getHost();
    Optional<String> byHost = policy.refusalOfHost(host);
    if (byHost.isPresent() || ProviderAddressPolicy.literal(host).isPresent()) {
      return byHost;
    }
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException | SecurityException e) {
      return Optional.empty();
    }
    for (InetAddress address : addresses) {
      Optional<String> refused = policy.refusalOf(address);
      if (refused.isPresent()) {
        return Optional.of(host + " " + refused.get());
      }
    }
    return Optional.empty();
  }
}
