package dev.spillway.dataplane.protocol;

/** The client-facing APIs a node serves; each fixes the error shape its SDK parses. */
public enum InboundApi {
  OPENAI_CHAT(ErrorShape.OPENAI),
  OPENAI_COMPLETIONS(ErrorShape.OPENAI),
  OPENAI_RESPONSES(ErrorShape.OPENAI),
  OPENAI_EMBEDDINGS(ErrorShape.OPENAI),
  ANTHROPIC_MESSAGES(ErrorShape.ANTHROPIC),
  ANTHROPIC_COUNT_TOKENS(ErrorShape.ANTHROPIC);

  private final ErrorShape errorShape;

  InboundApi(ErrorShape errorShape) {
    this.errorShape = errorShape;
  }

  public ErrorShape errorShape() {
    return errorShape;
  }
}
