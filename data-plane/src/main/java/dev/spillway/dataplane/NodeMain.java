package dev.spillway.dataplane;

import java.util.concurrent.CountDownLatch;

/** {@code java -jar spillway-node.jar [--port N] [--state-dir DIR]}; settings come from SPILLWAY_* variables. */
public final class NodeMain {
  private NodeMain() {}

  public static void main(String[] args) throws InterruptedException {
    // Before any logger exists: the node's own logging config, unless the operator chose one.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "spillway-node-logback.xml");
    }
    NodeSettings settings;
    try {
      settings = NodeSettings.from(System.getenv(), args);
    } catch (IllegalArgumentException e) {
      System.err.println("spillway node: " + e.getMessage());
      System.exit(2);
      return;
    }
    SpillwayNode node;
    try {
      node = SpillwayNode.start(settings);
    } catch (RuntimeException e) {
      // e.g. the port is taken: exit so a supervisor (compose, Kubernetes, ./spillway up) sees the failure.
      System.err.println("spillway node: cannot start: " + e);
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
  }
}
