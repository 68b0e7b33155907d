package dev.spillway.dataplane.exchange;

import tools.jackson.databind.node.ObjectNode;

/**
 * A successful answer as the relay kept it for the cache and the request log (the bytes of a complete answer, a
 * stream's events or canonical chunks), which becomes a canonical {@code chat.completion} only when one is stored.
 */
public interface CapturedAnswer {
  /**
   * The answer as a canonical chat completion (its usage may be missing: the caller has the request's usage), or
   * null when it cannot be read back. For an answer kept in the client's own API ({@link #clientAnswer}) it holds only
   * what spans show (choices' text, tool calls, finish reasons), never what the cache stores. Parses: call off the
   * event loop.
   */
  ObjectNode completion();

  /**
   * The answer as the client's own API has it, for the request log, or null when it is to be encoded from
   * {@link #completion()} instead: the native path of an API no canonical form reads back (completions, Responses).
   * Parses: call off the event loop.
   */
  default byte[] clientAnswer() {
    return null;
  }

  /**
   * A complete answer of {@code api} (completions, Responses) kept as the client got it; read as a canonical
   * completion only as far as spans show it ({@link ClientAnswers}).
   */
  static CapturedAnswer ofClientBytes(dev.spillway.dataplane.protocol.InboundApi api, byte[] answer) {
    return new CapturedAnswer() {
      @Override
      public ObjectNode completion() {
        return ClientAnswers.canonical(api, answer);
      }

      @Override
      public byte[] clientAnswer() {
        return answer;
      }
    };
  }
}
