package dev.spillway.controlplane.routing;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

public interface RoutingRuleRepository {
  /** Every rule of the organisation by ascending priority, then name. */
  List<RoutingRule> findAll();

  Optional<RoutingRule> findById(UUID id);

  Optional<RoutingRule> findByName(String name);

  void save(RoutingRule rule);

  void delete(UUID id);

  /** Names of the rules that send requests to this route, by name. */
  List<String> namesUsingRoute(UUID routeId);

  /** Whether a team of the organisation has this id. */
  boolean teamExists(UUID teamId);

  /**
   * Makes these the organisation's rules, as a restore does; the others are deleted. Call it with an empty list
   * before routes are replaced (a rule keeps its route from being deleted) and with the rules after.
   */
  void replaceAll(List<RoutingRule> rules);
}
