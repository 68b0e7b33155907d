/**
 * Benchmarks: programs with a {@code main}, run by {@code ./spillway bench …}, never by the test suite. Each prints
 * the machine, the command and its results so they can be pasted into docs/benchmarks.md.
 */
package dev.spillway.bench;
