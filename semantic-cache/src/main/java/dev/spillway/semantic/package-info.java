/**
 * Semantic-cache matching: what is embedded ({@link dev.spillway.semantic.PromptNormalizer}), the embedding
 * ({@link dev.spillway.semantic.Embedder}), and whether a stored prompt answers a new one
 * ({@link dev.spillway.semantic.SemanticMatcher}, {@link dev.spillway.semantic.VerificationGate}).
 *
 * <p>Thread model: everything here is CPU work (an embedding costs milliseconds) and must run on a worker pool, never
 * on an event loop. No Netty, no I/O. The normaliser, the gate and the matcher are immutable and thread-safe; an
 * {@link dev.spillway.semantic.OnnxEmbedder} is safe to call from several threads (ONNX Runtime sessions are).
 * Quality and cost are measured by {@code dev.spillway.bench.CacheMatchEval}; results in {@code docs/cache.md}.
 */
package dev.spillway.semantic;
