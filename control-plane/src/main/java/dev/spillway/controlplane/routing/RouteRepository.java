package dev.spillway.controlplane.routing;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

public interface RouteRepository {
  Optional<Route> findById(UUID id);

  Optional<Route> findByModel(String model);

  List<Route> findAll();

  void save(Route route);

  void delete(UUID id);

  /** Up to {@code limit} active keys ({@code team/key}) whose allowed models name this route. */
  List<String> keysAllowing(String model, int limit);
}
