package dev.spillway.testsupport;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Installs leak recording before any test class loads Netty (registered through META-INF/services). */
public final class NettyLeakCheckSessionListener implements LauncherSessionListener {
  @Override
  public void launcherSessionOpened(LauncherSession session) {
    NettyLeaks.install();
  }
}
