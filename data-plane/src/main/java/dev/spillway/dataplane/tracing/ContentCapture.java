package dev.spillway.dataplane.tracing;

/**
 * Whether a request's content (the GenAI conventions' {@code gen_ai.input.messages}, {@code gen_ai.output.messages},
 * {@code gen_ai.system_instructions}) may go on its spans. The hook for the team's content policy (docs/governance.md,
 * logging {@code content}): today it is {@link #NEVER}, so no prompt or answer leaves the node in a span. Whoever adds
 * content must redact it first, exactly as request logs do.
 */
@FunctionalInterface
public interface ContentCapture {
  /** No content on any span. */
  ContentCapture NEVER = teamId -> false;

  /** Whether requests of {@code teamId} may have their content on spans. */
  boolean allows(String teamId);
}
