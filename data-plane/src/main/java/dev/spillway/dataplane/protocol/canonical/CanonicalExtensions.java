package dev.spillway.dataplane.protocol.canonical;

/**
 * The {@code x_spillway_*} extension fields of the canonical form (an OpenAI chat completion request, answer or
 * chunk): what chat completions cannot express travels in them, so that, for example, Anthropic thinking survives a
 * trip through Bedrock. Every protocol package reads and writes the same names; docs/providers.md lists them.
 */
public final class CanonicalExtensions {
  /**
   * Thinking, in Anthropic's shapes (the convention every adapter shares). Top level of a request: the thinking
   * configuration, verbatim ({@code {"type":"enabled","budget_tokens":N}}). On an assistant message (request history
   * and answer): the message's thinking blocks, {@code [{"type":"thinking","thinking":…,"signature":…},
   * {"type":"redacted_thinking","data":…}]}. On a stream delta: pieces of those blocks, each with the {@code index}
   * of its block among the message's thinking blocks ({@code {"index":0,"type":"thinking","thinking":"…"}},
   * {@code {"index":0,"type":"thinking","signature":"…"}}, {@code {"index":1,"type":"redacted_thinking","data":"…"}}).
   * The thinking text is mirrored in {@link #REASONING_CONTENT} for OpenAI clients.
   */
  public static final String THINKING = "x_spillway_thinking";
  /** On a {@code tool} message: the tool failed (Anthropic's {@code tool_result.is_error}). */
  public static final String IS_ERROR = "x_spillway_is_error";
  /** Request: Anthropic's {@code top_k}. */
  public static final String TOP_K = "x_spillway_top_k";
  /** Request: the client's {@code anthropic-version} header. */
  public static final String ANTHROPIC_VERSION = "x_spillway_anthropic_version";
  /** Request: the client's {@code anthropic-beta} header values, as an array of strings. */
  public static final String ANTHROPIC_BETA = "x_spillway_anthropic_beta";
  /** Choice: the stop sequence that ended the answer (finish_reason {@code stop}). */
  public static final String STOP_SEQUENCE = "x_spillway_stop_sequence";
  /** Thinking text as OpenAI-compatible reasoning servers name it; a readable mirror of {@link #THINKING}. */
  public static final String REASONING_CONTENT = "reasoning_content";

  private CanonicalExtensions() {}
}
