package dev.spillway.controlplane.provider;

import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.configversion.ConfigVersions;
import dev.spillway.controlplane.security.SecretCipher;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class ProviderService {
  private final ProviderRepository providers;
  private final SecretCipher cipher;
  private final ConfigVersions versions;
  private final AuditLog audit;
  private final ProviderUrlPolicy urls;

  public ProviderService(ProviderRepository providers, SecretCipher cipher, ConfigVersions versions, AuditLog audit,
      ProviderUrlPolicy urls) {
    this.providers = providers;
    this.urls = urls;
    this.cipher = cipher;
    this.versions = versions;
    this.audit = audit;
  }

  @Transactional(readOnly = true)
  public List<Provider> list() {
    return providers.findAll();
  }

  @Transactional(readOnly = true)
  public Provider get(UUID id) {
    return providers.findById(id).orElseThrow(() -> ApiException.notFound("provider", id));
  }

  @Transactional
  public Provider create(ProviderRequest request) {
    ProviderRequest.Valid valid = request.validate(Set.of());
    urls.requireAllowed("base_url", valid.baseUrl());
    requireUniqueName(valid.name(), null);
    UUID id = UUID.randomUUID();
    Instant now = Instant.now();
    Provider provider = new Provider(id, valid.name(), valid.type(), valid.baseUrl(), sealKeys(id, valid, Map.of()),
        valid.settings(), valid.timeouts(), valid.breaker(), now, now);
    providers.save(provider);
    long version = versions.bump();
    audit.record("provider.create", "provider", id, null, ProviderResponse.of(provider).auditView(), version);
    return provider;
  }

  @Transactional
  public Provider update(UUID id, ProviderRequest request) {
    Provider before = get(id);
    Map<String, ProviderKey> existing = before.keys().stream()
        .collect(Collectors.toMap(ProviderKey::name, Function.identity()));
    ProviderRequest.Valid valid = request.validate(existing.keySet());
    urls.requireAllowed("base_url", valid.baseUrl());
    requireUniqueName(valid.name(), id);
    Provider after = new Provider(id, valid.name(), valid.type(), valid.baseUrl(), sealKeys(id, valid, existing),
        valid.settings(), valid.timeouts(), valid.breaker(), before.createdAt(), Instant.now());
    providers.save(after);
    long version = versions.bump();
    audit.record("provider.update", "provider", id, ProviderResponse.of(before).auditView(),
        ProviderResponse.of(after).auditView(), version);
    return after;
  }

  @Transactional
  public void delete(UUID id) {
    Provider provider = get(id);
    List<String> routes = providers.routesUsing(id);
    if (!routes.isEmpty()) {
      throw ApiException.conflict("id", "provider " + provider.name() + " is used by routes: "
          + String.join(", ", routes) + "; change or delete those routes first");
    }
    providers.delete(id);
    long version = versions.bump();
    audit.record("provider.delete", "provider", id, ProviderResponse.of(provider).auditView(), null, version);
  }

  private List<ProviderKey> sealKeys(UUID providerId, ProviderRequest.Valid valid, Map<String, ProviderKey> existing) {
    return valid.keys().stream().map(key -> {
      if (key.value() == null) {
        ProviderKey kept = existing.get(key.name());
        return new ProviderKey(key.name(), key.weight(), kept.valueSealed(), kept.valueHint());
      }
      String sealed = cipher.sealAtRest(key.value(), Provider.sealContext(providerId, key.name()));
      return new ProviderKey(key.name(), key.weight(), sealed, hint(key.value()));
    }).toList();
  }

  private static String hint(String value) {
    return SecretCipher.hint(value);
  }

  private void requireUniqueName(String name, UUID self) {
    providers.findByName(name).filter(existing -> !existing.id().equals(self)).ifPresent(existing -> {
      throw ApiException.conflict("name", "a provider named " + name + " already exists");
    });
  }
}
