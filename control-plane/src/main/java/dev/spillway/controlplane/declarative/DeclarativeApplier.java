package dev.spillway.controlplane.declarative;

import dev.spillway.config.Sha256;
import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.configversion.ConfigVersions;
import dev.spillway.controlplane.organization.OrganizationService;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderKey;
import dev.spillway.controlplane.provider.ProviderRepository;
import dev.spillway.controlplane.provider.ProviderRequest;
import dev.spillway.controlplane.provider.ProviderService;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteRepository;
import dev.spillway.controlplane.routing.RouteRequest;
import dev.spillway.controlplane.routing.RouteService;
import dev.spillway.controlplane.routing.RoutingRule;
import dev.spillway.controlplane.routing.RoutingRuleRepository;
import dev.spillway.controlplane.routing.RoutingRuleRequest;
import dev.spillway.controlplane.routing.RoutingRuleService;
import dev.spillway.controlplane.security.SecretCipher;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamRepository;
import dev.spillway.controlplane.team.TeamRequest;
import dev.spillway.controlplane.team.TeamService;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyRepository;
import dev.spillway.controlplane.virtualkey.VirtualKeyRequest;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Applies a {@code spillway.yaml}: an idempotent upsert of the organisation's limits, teams, providers, routes and
 * virtual keys by name, in one transaction that becomes one config version. A resource whose declared state equals
 * the stored one is not written, so applying the same file twice changes nothing and bumps no version. Nothing is
 * deleted: a resource missing from the file is left as it is.
 *
 * <p>Secrets only as environment references ({@code ${NAME}}, the whole value), read from the control plane's own
 * environment (or Java system properties) at apply time, so no secret travels with the file or sits in git. A
 * literal secret is refused, as is a reference to the control plane's own {@code SPILLWAY_*} secrets. Only
 * variables whose name starts with the configured prefix ({@code SPILLWAY_DECLARATIVE_ENV_PREFIX}, default
 * {@value #DEFAULT_ENV_PREFIX}) may be referenced: a file must not be able to read {@code HOME}, a cloud
 * credential or anything else the control plane's process happens to have in its environment.
 */
@Service
public class DeclarativeApplier {
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
  /** The prefix a referenced environment variable must have unless {@code spillway.declarative-env-prefix} says. */
  public static final String DEFAULT_ENV_PREFIX = "SPILLWAY_SECRET_";
  /** The master key matches the default prefix but is never a provider's or a virtual key's secret. */
  private static final String MASTER_KEY_VARIABLE = "SPILLWAY_SECRET_KEY";

  /** One thing the apply did (or, on a dry run, would do). */
  public record Change(String action, String resourceType, String name) {}

  public record Result(boolean applied, boolean dryRun, long version, List<Change> changes) {}

  private final OrganizationService orgs;
  private final TeamService teamService;
  private final TeamRepository teams;
  private final ProviderService providerService;
  private final ProviderRepository providers;
  private final RouteService routeService;
  private final RouteRepository routes;
  private final VirtualKeyService keyService;
  private final VirtualKeyRepository keys;
  private final RoutingRuleService ruleService;
  private final RoutingRuleRepository rules;
  private final SecretCipher cipher;
  private final ConfigVersions versions;
  private final AuditLog audit;
  private final Environment environment;
  private final TransactionTemplate tx;
  private final String envPrefix;

  public DeclarativeApplier(OrganizationService orgs, TeamService teamService, TeamRepository teams,
      ProviderService providerService, ProviderRepository providers, RouteService routeService,
      RouteRepository routes, VirtualKeyService keyService, VirtualKeyRepository keys, RoutingRuleService ruleService,
      RoutingRuleRepository rules, SecretCipher cipher, ConfigVersions versions, AuditLog audit,
      Environment environment, PlatformTransactionManager txManager,
      @Value("${spillway.declarative-env-prefix:" + DEFAULT_ENV_PREFIX + "}") String envPrefix) {
    this.orgs = orgs;
    this.teamService = teamService;
    this.teams = teams;
    this.providerService = providerService;
    this.providers = providers;
    this.routeService = routeService;
    this.routes = routes;
    this.keyService = keyService;
    this.keys = keys;
    this.ruleService = ruleService;
    this.rules = rules;
    this.cipher = cipher;
    this.versions = versions;
    this.audit = audit;
    this.environment = environment;
    this.tx = new TransactionTemplate(txManager);
    // Blank (compose and Helm pass empty values for unset options) is the default, never "every variable".
    this.envPrefix = envPrefix == null || envPrefix.isBlank() ? DEFAULT_ENV_PREFIX : envPrefix.strip();
  }

  public Result apply(String yaml, boolean dryRun) {
    ConfigFile file = ConfigFileParser.parse(yaml);
    // Every reference is resolved before anything is written: a missing variable changes nothing.
    Secrets secrets = resolveSecrets(file);
    return tx.execute(status -> {
      long before = versions.lock();
      List<Change> changes = new ArrayList<>();
      applyOrg(file.org(), changes);
      applyTeams(file.teams(), changes);
      applyProviders(file.providers(), secrets, changes);
      applyRoutes(file.routes(), changes);
      applyKeys(file.virtualKeys(), secrets, changes);
      applyRules(file.routingRules(), changes);
      long version = before;
      if (!changes.isEmpty()) {
        version = versions.bump();
        audit.record("config.apply", "config", null, null, Map.of("changes", changes.size(),
            "dry_run", dryRun), version);
      }
      if (dryRun) {
        status.setRollbackOnly();
        return new Result(false, true, before, changes);
      }
      return new Result(!changes.isEmpty(), false, version, changes);
    });
  }

  private void applyOrg(ConfigFile.OrgSpec spec, List<Change> changes) {
    if (spec == null) {
      return;
    }
    var current = orgs.get();
    var request = new OrganizationService.OrgRequest(spec.name() == null ? current.name() : spec.name(),
        spec.budget(), spec.rateLimit());
    var updated = at("org", () -> orgs.update(request));
    if (!OrganizationService.auditView(current).equals(OrganizationService.auditView(updated))) {
      changes.add(new Change("update", "org", updated.name()));
    }
  }

  private void applyTeams(List<ConfigFile.TeamSpec> specs, List<Change> changes) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < specs.size(); i++) {
      ConfigFile.TeamSpec spec = specs.get(i);
      String at = "teams[" + i + "]";
      TeamRequest request = new TeamRequest(spec.name(), spec.description(), spec.budget(), spec.rateLimit(),
          spec.cache(), spec.logging(), spec.metadata());
      TeamRequest.Valid valid = at(at, request::validate);
      if (!seen.add(valid.name().toLowerCase())) {
        throw ApiException.invalid(at + ".name", "team " + valid.name() + " is declared twice");
      }
      Team existing = teams.findByName(valid.name()).orElse(null);
      if (existing == null) {
        at(at, () -> teamService.create(request));
        changes.add(new Change("create", "team", valid.name()));
      } else if (!valid.equals(new TeamRequest.Valid(existing.name(), existing.description(), existing.budget(),
          existing.rateLimit(), existing.cache(), existing.logging(), existing.metadata()))) {
        at(at, () -> teamService.update(existing.id(), request));
        changes.add(new Change("update", "team", valid.name()));
      }
    }
  }

  private void applyProviders(List<ConfigFile.ProviderSpec> specs, Secrets secrets, List<Change> changes) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < specs.size(); i++) {
      ConfigFile.ProviderSpec spec = specs.get(i);
      String at = "providers[" + i + "]";
      List<ProviderRequest.KeyBody> keyBodies = new ArrayList<>();
      List<ConfigFile.ProviderKeySpec> keySpecs = spec.keys() == null ? List.of() : spec.keys();
      for (int k = 0; k < keySpecs.size(); k++) {
        ConfigFile.ProviderKeySpec key = keySpecs.get(k);
        keyBodies.add(new ProviderRequest.KeyBody(key.name(), secrets.value(at + ".keys[" + k + "].value"),
            key.weight()));
      }
      ProviderRequest request = new ProviderRequest(spec.name(), spec.type(), spec.baseUrl(), keyBodies,
          spec.settings(), spec.timeouts(), spec.breaker());
      ProviderRequest.Valid valid = at(at, () -> request.validate(Set.of()));
      if (!seen.add(valid.name())) {
        throw ApiException.invalid(at + ".name", "provider " + valid.name() + " is declared twice");
      }
      Provider existing = providers.findByName(valid.name()).orElse(null);
      if (existing == null) {
        at(at, () -> providerService.create(request));
        changes.add(new Change("create", "provider", valid.name()));
      } else if (!sameProvider(existing, valid)) {
        at(at, () -> providerService.update(existing.id(), request));
        changes.add(new Change("update", "provider", valid.name()));
      }
    }
  }

  private boolean sameProvider(Provider p, ProviderRequest.Valid valid) {
    if (p.type() != valid.type() || !Objects.equals(p.baseUrl(), valid.baseUrl())
        || !p.settings().equals(valid.settings()) || !Objects.equals(p.timeouts(), valid.timeouts())
        || !Objects.equals(p.breaker(), valid.breaker())
        || p.keys().size() != valid.keys().size()) {
      return false;
    }
    for (int i = 0; i < p.keys().size(); i++) {
      ProviderKey stored = p.keys().get(i);
      ProviderRequest.ValidKey declared = valid.keys().get(i);
      if (!stored.name().equals(declared.name()) || stored.weight() != declared.weight()
          || !cipher.matchesAtRest(stored.valueSealed(), Provider.sealContext(p.id(), stored.name()),
              declared.value())) {
        return false;
      }
    }
    return true;
  }

  private void applyRoutes(List<RouteRequest> specs, List<Change> changes) {
    Map<String, Provider> byName = providers.findAll().stream()
        .collect(Collectors.toMap(Provider::name, Function.identity()));
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < specs.size(); i++) {
      RouteRequest request = specs.get(i);
      String at = "routes[" + i + "]";
      RouteRequest.Valid valid = at(at, () -> request.validate(byName));
      if (!seen.add(valid.model())) {
        throw ApiException.invalid(at + ".model", "route " + valid.model() + " is declared twice");
      }
      Route existing = routes.findByModel(valid.model()).orElse(null);
      if (existing == null) {
        at(at, () -> routeService.create(request));
        changes.add(new Change("create", "route", valid.model()));
      } else if (!valid.equals(new RouteRequest.Valid(existing.model(), existing.targets(), existing.fallbacks(),
          existing.retry(), existing.strategy(), existing.sticky()))) {
        at(at, () -> routeService.update(existing.id(), request));
        changes.add(new Change("update", "route", valid.model()));
      }
    }
  }

  private void applyKeys(List<ConfigFile.KeySpec> specs, Secrets secrets, List<Change> changes) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < specs.size(); i++) {
      ConfigFile.KeySpec spec = specs.get(i);
      String at = "virtual_keys[" + i + "]";
      if (spec.team() == null || spec.team().isBlank()) {
        throw ApiException.invalid(at + ".team", "is required (a team name)");
      }
      Team team = teams.findByName(spec.team()).orElseThrow(() -> ApiException.invalid(at + ".team",
          "team " + spec.team() + " does not exist (declare it under teams)"));
      String secret = secrets.value(at + ".key");
      at(at, () -> {
        VirtualKeyService.requireWellFormedSecret("key", secret);
        return null;
      });
      VirtualKeyRequest request = new VirtualKeyRequest(spec.name(), team.id().toString(), spec.models(),
          spec.budget(), spec.rateLimit(), spec.cache(), spec.logging(), spec.expiresAt(), spec.metadata());
      VirtualKeyRequest.Valid valid = at(at, () -> request.validate(Instant.now(), false));
      String label = team.name() + "/" + valid.name();
      if (!seen.add(label.toLowerCase())) {
        throw ApiException.invalid(at + ".name", "virtual key " + label + " is declared twice");
      }
      VirtualKey existing = keys.findActiveByName(team.id(), valid.name()).orElse(null);
      if (existing == null) {
        at(at, () -> keyService.create(request, secret));
        changes.add(new Change("create", "virtual_key", label));
        continue;
      }
      boolean changed = false;
      if (!valid.equals(new VirtualKeyRequest.Valid(existing.name(), existing.teamId(), existing.models(),
          existing.budget(), existing.rateLimit(), existing.cache(), existing.logging(), existing.expiresAt(),
          existing.metadata()))) {
        at(at, () -> keyService.update(existing.id(), request));
        changed = true;
      }
      if (!Sha256.hex(secret).equals(existing.keyHash())) {
        at(at, () -> keyService.replaceSecret(existing.id(), secret));
        changed = true;
      }
      if (changed) {
        changes.add(new Change("update", "virtual_key", label));
      }
    }
  }

  private void applyRules(List<ConfigFile.RuleSpec> specs, List<Change> changes) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < specs.size(); i++) {
      ConfigFile.RuleSpec spec = specs.get(i);
      String at = "routing_rules[" + i + "]";
      ConfigFile.RuleMatchSpec match = spec.match() == null ? new ConfigFile.RuleMatchSpec(null, null, null, null)
          : spec.match();
      String teamId = null;
      if (match.team() != null) {
        teamId = teams.findByName(match.team()).orElseThrow(() -> ApiException.invalid(at + ".match.team",
            "team " + match.team() + " does not exist (declare it under teams)")).id().toString();
      }
      RoutingRuleRequest request = new RoutingRuleRequest(spec.name(), spec.priority(),
          new RoutingRuleRequest.MatchBody(teamId, match.keyMetadata(), match.headers(), match.model()),
          spec.route());
      RoutingRuleRequest.Valid valid = at(at, () -> request.validate(routes::findByModel, rules::teamExists));
      if (!seen.add(valid.name())) {
        throw ApiException.invalid(at + ".name", "routing rule " + valid.name() + " is declared twice");
      }
      RoutingRule existing = rules.findByName(valid.name()).orElse(null);
      if (existing == null) {
        at(at, () -> ruleService.create(request));
        changes.add(new Change("create", "routing_rule", valid.name()));
      } else if (existing.priority() != valid.priority() || !Objects.equals(existing.teamId(), valid.teamId())
          || !existing.keyMetadata().equals(valid.keyMetadata()) || !existing.headers().equals(valid.headers())
          || !Objects.equals(existing.modelPattern(), valid.modelPattern())
          || !existing.routeId().equals(valid.route().id())) {
        at(at, () -> ruleService.update(existing.id(), request));
        changes.add(new Change("update", "routing_rule", valid.name()));
      }
    }
  }

  /** Resolved secret values by the field that referenced them. */
  private record Secrets(Map<String, String> byField) {
    String value(String field) {
      return byField.get(field);
    }
  }

  private Secrets resolveSecrets(ConfigFile file) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < file.providers().size(); i++) {
      var keySpecs = file.providers().get(i).keys() == null ? List.<ConfigFile.ProviderKeySpec>of()
          : file.providers().get(i).keys();
      for (int k = 0; k < keySpecs.size(); k++) {
        String field = "providers[" + i + "].keys[" + k + "].value";
        values.put(field, resolve(field, keySpecs.get(k).value()));
      }
    }
    for (int i = 0; i < file.virtualKeys().size(); i++) {
      String field = "virtual_keys[" + i + "].key";
      values.put(field, resolve(field, file.virtualKeys().get(i).key()));
    }
    return new Secrets(values);
  }

  private String resolve(String field, String reference) {
    if (reference == null || reference.isBlank()) {
      throw ApiException.invalid(field, "is required, as an environment reference such as ${SPILLWAY_SECRET_OPENAI_API_KEY}");
    }
    Matcher m = REFERENCE.matcher(reference.strip());
    if (!m.matches()) {
      throw ApiException.invalid(field, "inline secrets are not allowed in a config file; put the secret in an "
          + "environment variable and write a reference such as ${SPILLWAY_SECRET_OPENAI_API_KEY}");
    }
    String name = m.group(1);
    // The refusals name the variable, never its value.
    if (!name.startsWith(envPrefix)) {
      throw ApiException.invalid(field, "${" + name + "} is not allowed: a config file may only reference "
          + "environment variables whose name starts with " + envPrefix + " (SPILLWAY_DECLARATIVE_ENV_PREFIX)");
    }
    if (name.equals(MASTER_KEY_VARIABLE) || name.startsWith("SPILLWAY_") && !name.startsWith(DEFAULT_ENV_PREFIX)) {
      throw ApiException.invalid(field, "${" + name + "} names one of the control plane's own settings; "
          + "use another variable");
    }
    String value = environment.getProperty(name);
    if (value == null || value.isEmpty()) {
      throw ApiException.invalid(field, "environment variable " + name + " is not set in the control plane's "
          + "environment");
    }
    return value;
  }

  /** Runs a step, naming the file position of any field error it raises. */
  private static <T> T at(String prefix, java.util.function.Supplier<T> step) {
    try {
      return step.get();
    } catch (ApiException e) {
      throw e.under(prefix);
    }
  }
}
