package dev.spillway.dataplane.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.config.EncodedSnapshot;
import dev.spillway.config.InvalidSnapshotException;
import dev.spillway.config.ProviderType;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.testsupport.Snapshots;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {
  private final SnapshotCodec codec = new SnapshotCodec();
  private final EncodedSnapshot encoded = codec.encode(Snapshots.builder().version(9).team("t")
      .provider("mock", ProviderType.MOCK, null).route("demo", "mock/m").build());

  @Test
  void returnsNothingWhenNothingWasSaved(@TempDir Path dir) {
    assertThat(new SnapshotStore(dir).load()).isEmpty();
  }

  @Test
  void loadsWhatItSavedAndLeavesNoTemporaryFiles(@TempDir Path dir) throws Exception {
    SnapshotStore store = new SnapshotStore(dir);

    store.save(encoded);
    EncodedSnapshot loaded = store.load().orElseThrow();

    assertThat(loaded.version()).isEqualTo(9);
    assertThat(loaded.sha256()).isEqualTo(encoded.sha256());
    assertThat(codec.decode(loaded.gzipped(), loaded.sha256()).version()).isEqualTo(9);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("snapshot.bin",
          "snapshot.sha256");
    }
  }

  @Test
  void refusesAFileWithoutAHeader(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("snapshot.bin"), new byte[] {1, 2, 3});

    assertThatThrownBy(() -> new SnapshotStore(dir).load()).isInstanceOf(InvalidSnapshotException.class)
        .hasMessageContaining("no snapshot header");
  }

  @Test
  void hasAPayloadWhoseHashNoLongerMatchesOnceDamaged(@TempDir Path dir) throws Exception {
    SnapshotStore store = new SnapshotStore(dir);
    store.save(encoded);
    byte[] bytes = Files.readAllBytes(store.file());
    bytes[bytes.length - 5] ^= 0x7f;
    Files.write(store.file(), bytes);

    EncodedSnapshot damaged = store.load().orElseThrow();

    assertThatThrownBy(() -> codec.decode(damaged.gzipped(), damaged.sha256()))
        .isInstanceOf(InvalidSnapshotException.class);
  }
}
