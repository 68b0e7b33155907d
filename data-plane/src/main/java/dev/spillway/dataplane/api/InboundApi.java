package dev.spillway.dataplane.api;

import dev.spillway.dataplane.server.RequestContext;

/** The client-facing APIs a node serves; each fixes the error shape its SDK parses. */
public enum InboundApi {
  OPENAI_CHAT(RequestContext.ErrorFormat.OPENAI),
  OPENAI_COMPLETIONS(RequestContext.ErrorFormat.OPENAI),
  OPENAI_RESPONSES(RequestContext.ErrorFormat.OPENAI),
  OPENAI_EMBEDDINGS(RequestContext.ErrorFormat.OPENAI),
  ANTHROPIC_MESSAGES(RequestContext.ErrorFormat.ANTHROPIC),
  ANTHROPIC_COUNT_TOKENS(RequestContext.ErrorFormat.ANTHROPIC);

  private final RequestContext.ErrorFormat errorFormat;

  InboundApi(RequestContext.ErrorFormat errorFormat) {
    this.errorFormat = errorFormat;
  }

  public RequestContext.ErrorFormat errorFormat() {
    return errorFormat;
  }
}
