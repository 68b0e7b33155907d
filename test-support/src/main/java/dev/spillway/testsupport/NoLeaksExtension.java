package dev.spillway.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Fails the test class when Netty reported a leaked buffer while it ran (leak detection at PARANOID). */
public final class NoLeaksExtension implements BeforeAllCallback, AfterAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) {
    assertThat(NettyLeaks.isInstalled())
        .as("leak recording must be installed before Netty loads (NettyLeakCheckSessionListener)").isTrue();
    NettyLeaks.collect();
    NettyLeaks.clear();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    assertThat(NettyLeaks.collect()).as("Netty buffer leaks in " + context.getDisplayName()).isEmpty();
  }
}
