package dev.spillway.controlplane.demo;

import dev.spillway.controlplane.SpillwayProperties;
import dev.spillway.controlplane.provider.ProviderRepository;
import dev.spillway.controlplane.provider.ProviderRequest;
import dev.spillway.controlplane.provider.ProviderService;
import dev.spillway.controlplane.routing.RouteRepository;
import dev.spillway.controlplane.routing.RouteRequest;
import dev.spillway.controlplane.routing.RouteService;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamRepository;
import dev.spillway.controlplane.team.TeamRequest;
import dev.spillway.controlplane.team.TeamService;
import dev.spillway.controlplane.virtualkey.VirtualKeyRequest;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * On a first local start ({@code spillway.demo-seed-file} set and the file absent) creates team {@code demo}, the
 * built-in {@code mock} provider, route {@code demo} and a virtual key, and writes the key to the seed file
 * (mode 600) so {@code ./spillway up} can print it. Works without any real provider key or network.
 */
@Component
class DemoSeeder implements ApplicationRunner {
  private static final Logger log = LoggerFactory.getLogger(DemoSeeder.class);

  private final SpillwayProperties props;
  private final TeamService teamService;
  private final TeamRepository teams;
  private final ProviderService providerService;
  private final ProviderRepository providers;
  private final RouteService routeService;
  private final RouteRepository routes;
  private final VirtualKeyService keys;

  DemoSeeder(SpillwayProperties props, TeamService teamService, TeamRepository teams, ProviderService providerService,
      ProviderRepository providers, RouteService routeService, RouteRepository routes, VirtualKeyService keys) {
    this.props = props;
    this.teamService = teamService;
    this.teams = teams;
    this.providerService = providerService;
    this.providers = providers;
    this.routeService = routeService;
    this.routes = routes;
    this.keys = keys;
  }

  @Override
  public void run(ApplicationArguments args) {
    if (props.demoSeedFile() == null || props.demoSeedFile().isBlank()) {
      return;
    }
    Path file = Path.of(props.demoSeedFile());
    if (Files.exists(file)) {
      return;
    }
    Team team = teams.findByName("demo").orElseGet(() -> teamService.create(
        new TeamRequest("demo", "Created by ./spillway up for trying Spillway out", null, null, null, null,
            Map.of())));
    if (providers.findByName("mock").isEmpty()) {
      providerService.create(new ProviderRequest("mock", "mock", null, List.of(), Map.of(), null));
    }
    if (routes.findByModel("demo").isEmpty()) {
      routeService.create(new RouteRequest("demo", List.of(new RouteRequest.TargetBody("mock", "mock-1", 1)),
          List.of(), null));
    }
    String name = "demo key " + java.time.LocalDate.now();
    var issued = keys.create(new VirtualKeyRequest(name, team.id().toString(), List.of(), null, null, null, null,
        null, Map.of("created_by", "./spillway up")));
    write(file, "SPILLWAY_DEMO_KEY=" + issued.secret() + "\n");
    log.info("seeded the demo: team demo, provider mock, route demo, virtual key {}…", issued.key().keyPrefix());
  }

  private static void write(Path file, String content) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".demo", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, content);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the demo seed file " + file, e);
    }
  }
}
