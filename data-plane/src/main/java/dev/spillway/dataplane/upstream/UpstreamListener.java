package dev.spillway.dataplane.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Receives one upstream exchange, always on the event loop that started it. Exactly one of {@link #onEnd()} or
 * {@link #onFailure(UpstreamFailure)} ends the exchange, unless it was cancelled.
 */
public interface UpstreamListener {
  /** Status line and headers. */
  void onHead(HttpResponse head);

  /** A piece of the body. The listener owns {@code content}: it must release it or pass it on. */
  void onContent(ByteBuf content);

  /** The body is complete. */
  void onEnd();

  /**
   * The transport has handed over everything it read in one go (only when {@link UpstreamCall#signalsReadComplete}
   * is true): a listener that relays pieces may write them as they come and flush once here.
   */
  default void onReadComplete() {}

  void onFailure(UpstreamFailure failure);
}
