package dev.spillway.testsupport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Turns Netty's leak reports into test failures. {@link #install()} must run before any buffer class initialises;
 * {@link NettyLeakCheckSessionListener} does that at the start of every test run, and
 * {@link NoLeaksExtension} asserts after each test class.
 */
public final class NettyLeaks {
  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
  private static volatile boolean installed;

  private NettyLeaks() {}

  public static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      System.setProperty("io.netty.leakDetection.level", "paranoid");
    }
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
      @Override
      public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
          long maxActive) {
        return new RecordingDetector<>(resource, samplingInterval);
      }
    });
  }

  public static boolean isInstalled() {
    return installed;
  }

  /** Runs the collector and allocates, so Netty's detectors see every lost buffer; returns the leak reports. */
  public static List<String> collect() {
    for (int i = 0; i < 5; i++) {
      System.gc();
      System.runFinalization();
      // Leaks are reported when a detector tracks a new object after the lost one was collected.
      for (int j = 0; j < 100; j++) {
        ByteBuf probe = PooledByteBufAllocator.DEFAULT.buffer(16);
        probe.release();
      }
    }
    return List.copyOf(LEAKS);
  }

  public static void clear() {
    LEAKS.clear();
  }

  private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
    RecordingDetector(Class<T> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      LEAKS.add(resourceType + " leaked:" + records);
      super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      LEAKS.add(resourceType + " leaked (no records)");
      super.reportUntracedLeak(resourceType);
    }
  }
}
