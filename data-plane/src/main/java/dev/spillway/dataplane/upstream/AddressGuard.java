package dev.spillway.dataplane.upstream;

import dev.spillway.config.ProviderAddressPolicy;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * Refuses a provider connection to an address the {@link ProviderAddressPolicy} forbids, on the address the
 * connection is actually about to use: the bootstrap resolves the name first and hands this handler the result, so
 * a name that resolved to a public address when the control plane checked it and to a private or metadata address
 * now (DNS rebinding) is caught here. The connect promise fails with a {@link RefusedAddressException}, which ends
 * the attempt with a clear upstream error at once; no socket is opened.
 */
@ChannelHandler.Sharable
final class AddressGuard extends ChannelOutboundHandlerAdapter {
  private final ProviderAddressPolicy policy;

  AddressGuard(ProviderAddressPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  @Override
  public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local, ChannelPromise promise) {
    Optional<String> refusal = refusalOf(remote);
    if (refusal.isPresent()) {
      promise.setFailure(new RefusedAddressException(refusal.get()));
      ctx.close();
      return;
    }
    ctx.connect(remote, local, promise);
    ctx.pipeline().remove(this);
  }

  private Optional<String> refusalOf(SocketAddress remote) {
    if (!(remote instanceof InetSocketAddress inet) || inet.isUnresolved()) {
      // The bootstrap resolves before connecting; an unresolved address here cannot be judged, so it is refused.
      return Optional.of("the provider's address was not resolved before connecting");
    }
    return policy.refusalOf(inet.getAddress())
        .map(reason -> "provider address refused: " + inet.getHostString() + " " + reason);
  }

  /** A connection the policy refused; its message is for clients (it names no credential). */
  static final class RefusedAddressException extends Exception {
    RefusedAddressException(String message) {
      super(message, null, false, false);
    }
  }
}
