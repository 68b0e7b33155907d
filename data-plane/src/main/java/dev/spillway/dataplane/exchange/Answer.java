package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Objects;

/**
 * A complete JSON answer in the client's API, ready to write: the body (owned by whoever holds the answer until it is
 * written or released), headers of its own beyond the ones every answer carries (or null), and the usage it stands
 * for.
 */
public record Answer(ByteBuf body, HttpHeaders headers, Usage usage) {
  public Answer {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(usage, "usage");
  }
}
