/**
 * A Spillway data-plane node: plain Java and Netty, no Spring.
 *
 * <h2>Thread model</h2>
 * <ul>
 *   <li>N event loops (default: one per core) accept client connections. Everything a request does on the hot
 *       path runs on its channel's event loop: parsing, authentication (a hash lookup in the compiled config),
 *       routing, the upstream call (pooled connections owned by the same event loop) and relaying the answer.
 *       Nothing there blocks.</li>
 *   <li>One daemon thread, {@code snapshot-poller}, long-polls the control plane, decodes and compiles snapshots,
 *       swaps them in with one volatile write, and writes the last good one to disk. Requests in flight keep the
 *       config they started with.</li>
 * </ul>
 *
 * <h2>Buffers</h2>
 * Every {@code ByteBuf} has one owner. A handler that receives a buffer either passes it on (and with it the duty
 * to release it) or releases it. Tests run with leak detection at PARANOID.
 */
package dev.spillway.dataplane;
