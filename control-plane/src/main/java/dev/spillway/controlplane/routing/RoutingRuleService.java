package dev.spillway.controlplane.routing;

import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.configversion.ConfigVersions;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Conditional routing rules: validated against the routes and teams that exist, audited, one version each. */
@Service
public class RoutingRuleService {
  private final RoutingRuleRepository rules;
  private final RouteRepository routes;
  private final ConfigVersions versions;
  private final AuditLog audit;

  public RoutingRuleService(RoutingRuleRepository rules, RouteRepository routes, ConfigVersions versions,
      AuditLog audit) {
    this.rules = rules;
    this.routes = routes;
    this.versions = versions;
    this.audit = audit;
  }

  @Transactional(readOnly = true)
  public List<RoutingRule> list() {
    return rules.findAll();
  }

  @Transactional(readOnly = true)
  public RoutingRule get(UUID id) {
    return rules.findById(id).orElseThrow(() -> ApiException.notFound("routing rule", id));
  }

  /** Checks a rule as create or update would, without saving it; {@code self} is the rule edited, else null. */
  @Transactional(readOnly = true)
  public RoutingRuleRequest.Valid check(RoutingRuleRequest request, UUID self) {
    RoutingRuleRequest.Valid valid = request.validate(routes::findByModel, rules::teamExists);
    rules.findByName(valid.name()).filter(existing -> !existing.id().equals(self)).ifPresent(existing -> {
      throw ApiException.conflict("name", "a routing rule named " + valid.name() + " already exists");
    });
    return valid;
  }

  @Transactional
  public RoutingRule create(RoutingRuleRequest request) {
    RoutingRuleRequest.Valid valid = check(request, null);
    Instant now = Instant.now();
    RoutingRule rule = rule(UUID.randomUUID(), valid, now, now);
    rules.save(rule);
    long version = versions.bump();
    audit.record("routing_rule.create", "routing_rule", rule.id(), null, RoutingRuleResponse.of(rule).auditView(),
        version);
    return rule;
  }

  @Transactional
  public RoutingRule update(UUID id, RoutingRuleRequest request) {
    RoutingRule before = get(id);
    RoutingRuleRequest.Valid valid = check(request, id);
    RoutingRule after = rule(id, valid, before.createdAt(), Instant.now());
    rules.save(after);
    long version = versions.bump();
    audit.record("routing_rule.update", "routing_rule", id, RoutingRuleResponse.of(before).auditView(),
        RoutingRuleResponse.of(after).auditView(), version);
    return after;
  }

  @Transactional
  public void delete(UUID id) {
    RoutingRule rule = get(id);
    rules.delete(id);
    long version = versions.bump();
    audit.record("routing_rule.delete", "routing_rule", id, RoutingRuleResponse.of(rule).auditView(), null,
        version);
  }

  private static RoutingRule rule(UUID id, RoutingRuleRequest.Valid valid, Instant createdAt, Instant updatedAt) {
    return new RoutingRule(id, valid.name(), valid.priority(), valid.teamId(), valid.keyMetadata(), valid.headers(),
        valid.modelPattern(), valid.route().id(), valid.route().model(), createdAt, updatedAt);
  }
}
