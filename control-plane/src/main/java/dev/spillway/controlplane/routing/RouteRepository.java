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

  /**
   * Removes the targets and fallbacks of every route (the routes stay), so that the providers they name can be
   * replaced; {@link #replaceAll} then gives the routes their targets again.
   */
  void deleteAllTargets();

  /**
   * Makes these the organisation's routes, as a restore does: the others are deleted, these are inserted or updated
   * like {@link #save}; a model may move from one of them to another.
   */
  void replaceAll(List<Route> routes);

  /** Up to {@code limit} active keys ({@code team/key}) whose allowed models name this route. */
  List<String> keysAllowing(String model, int limit);
}
