package dev.spillway.dataplane.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import java.util.concurrent.TimeUnit;

/** How the node closes a client connection. */
final class Connections {
  /** How long a client whose body is refused may keep sending (discarded) before the connection is closed. */
  private static final long LINGER_SECONDS = 2;

  /** Closes once the write is done. */
  static final ChannelFutureListener CLOSE = ChannelFutureListener.CLOSE;

  /**
   * Closes once the write is done, without resetting a client still sending a body: closing at once with unread data
   * resets the connection, and the reset can destroy the answer before the client reads it. Stops sending instead
   * (FIN); whatever still arrives is discarded, and the connection closes when the client does or shortly after.
   */
  static final ChannelFutureListener CLOSE_AFTER_LINGER = future -> {
    Channel ch = future.channel();
    if (future.isSuccess() && ch instanceof DuplexChannel duplex) {
      duplex.shutdownOutput();
      ch.eventLoop().schedule(() -> ch.close(), LINGER_SECONDS, TimeUnit.SECONDS);
    } else {
      ch.close();
    }
  };

  private Connections() {}
}
