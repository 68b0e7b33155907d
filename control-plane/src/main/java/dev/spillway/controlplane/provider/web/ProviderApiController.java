package dev.spillway.controlplane.provider.web;

import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.common.Patches;
import dev.spillway.controlplane.provider.ProviderRequest;
import dev.spillway.controlplane.provider.ProviderResponse;
import dev.spillway.controlplane.provider.ProviderService;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

@RestController
@RequestMapping("/api/v1/providers")
class ProviderApiController {
  private static final Set<String> READ_ONLY = Set.of("id", "created_at", "updated_at");

  private final ProviderService providers;
  private final Patches patches;

  ProviderApiController(ProviderService providers, Patches patches) {
    this.providers = providers;
    this.patches = patches;
  }

  @GetMapping
  Map<String, List<ProviderResponse>> list() {
    return Map.of("data", providers.list().stream().map(ProviderResponse::of).toList());
  }

  @PostMapping
  ResponseEntity<ProviderResponse> create(@RequestBody ProviderRequest request) {
    ProviderResponse created = ProviderResponse.of(providers.create(request));
    return ResponseEntity.created(URI.create("/api/v1/providers/" + created.id())).body(created);
  }

  @GetMapping("/{id}")
  ProviderResponse get(@PathVariable String id) {
    return ProviderResponse.of(providers.get(Ids.parse("provider", id)));
  }

  /** Keys in the patch replace the key list; a key without {@code value} keeps its stored value. */
  @PatchMapping("/{id}")
  ProviderResponse patch(@PathVariable String id, @RequestBody JsonNode patch) {
    var providerId = Ids.parse("provider", id);
    ProviderRequest current = ProviderResponse.of(providers.get(providerId)).toRequest();
    return ProviderResponse.of(providers.update(providerId,
        patches.merge(current, patch, ProviderRequest.class, READ_ONLY)));
  }

  @DeleteMapping("/{id}")
  ResponseEntity<Void> delete(@PathVariable String id) {
    providers.delete(Ids.parse("provider", id));
    return ResponseEntity.noContent().build();
  }
}
